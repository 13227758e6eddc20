"""The throughput benchmark's long-file judge: loop cues, identical neighbours, past the end."""

from benchmarks.long_file import loop_report

SRT = """1
00:00:01,000 --> 00:00:03,000
Houston, we copy.

2
00:00:03,500 --> 00:00:06,000
Okay, okay, okay, okay, okay.

3
00:00:06,500 --> 00:00:08,000
All right, that's it.

4
00:00:08,000 --> 00:00:09,500
All right, that's it.

5
00:00:09,500 --> 00:01:01,500
Okay, okay, okay. We copy.
"""


def test_loops_identical_neighbours_and_the_end_are_counted() -> None:
    report = loop_report(SRT, duration_s=60.0)
    assert report["cues"] == 5
    assert report["loop_cues"] == 1  # three in a row is not a loop; five is
    assert report["loop_seconds"] == 2.5
    assert report["identical_neighbours"] == 1
    assert report["past_end_s"] == 1.5
