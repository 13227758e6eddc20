"""Whisper's languages, one table: ISO 639-1 code (Whisper's), ISO 639-2 codes, English name.

Track tags (``ger``), subtitle file names (``ep1.deu.srt``, ``ep1.german.srt``) and the
names the Whisper APIs answer with all read it.
"""

_TABLE = """
en eng english|zh chi zho chinese|de ger deu german|es spa spanish|ru rus russian|ko kor korean
fr fre fra french|ja jpn japanese|pt por portuguese|tr tur turkish|pl pol polish|ca cat catalan
nl dut nld dutch|ar ara arabic|sv swe swedish|it ita italian|id ind indonesian|hi hin hindi
fi fin finnish|vi vie vietnamese|he heb hebrew|uk ukr ukrainian|el gre ell greek
ms may msa malay|cs cze ces czech|ro rum ron romanian|da dan danish|hu hun hungarian
ta tam tamil|no nor nob norwegian|th tha thai|ur urd urdu|hr hrv croatian|bg bul bulgarian
lt lit lithuanian|la lat latin|mi mao mri maori|ml mal malayalam|cy wel cym welsh
sk slo slk slovak|te tel telugu|fa per fas persian|lv lav latvian|bn ben bengali
sr srp serbian|az aze azerbaijani|sl slv slovenian|kn kan kannada|et est estonian
mk mac mkd macedonian|br bre breton|eu baq eus basque|is ice isl icelandic|hy arm hye armenian
ne nep nepali|mn mon mongolian|bs bos bosnian|kk kaz kazakh|sq alb sqi albanian
sw swa swahili|gl glg galician|mr mar marathi|pa pan punjabi|si sin sinhala|km khm khmer
sn sna shona|yo yor yoruba|so som somali|af afr afrikaans|oc oci occitan|ka geo kat georgian
be bel belarusian|tg tgk tajik|sd snd sindhi|gu guj gujarati|am amh amharic|yi yid yiddish
lo lao lao|uz uzb uzbek|fo fao faroese|ht hat haitian|ps pus pashto|tk tuk turkmen
nn nno nynorsk|mt mlt maltese|sa san sanskrit|lb ltz luxembourgish|my bur mya burmese
bo tib bod tibetan|tl tgl tagalog|mg mlg malagasy|as asm assamese|tt tat tatar
haw haw hawaiian|ln lin lingala|ha hau hausa|ba bak bashkir|jw jv jav javanese
su sun sundanese|yue yue cantonese
"""


def _parse() -> dict[str, tuple[tuple[str, ...], str]]:
    table: dict[str, tuple[tuple[str, ...], str]] = {}
    for entry in _TABLE.replace("\n", "|").split("|"):
        tokens = entry.split()
        if tokens:
            table[tokens[0]] = (tuple(tokens[1:-1]), tokens[-1])
    return table


LANGUAGES = _parse()
"""ISO 639-1 code -> (its ISO 639-2 codes, its English name in lower case)."""


def language_name(code: str) -> str:
    """The English name of a Whisper language code (the code itself when unknown)."""
    entry = LANGUAGES.get(code.split("-")[0].split("_")[0].lower())
    return entry[1] if entry else code
