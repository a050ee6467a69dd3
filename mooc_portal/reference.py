"""Reference data the portal validates against: ASEM partner countries and ISCED-F 2013."""

from __future__ import annotations

from enum import StrEnum

from flask_babel import force_locale, gettext


class Region(StrEnum):
    ASIA = "asia"
    EUROPE = "europe"


EUROPE_COUNTRIES: tuple[str, ...] = (
    "AT",
    "BE",
    "BG",
    "HR",
    "CY",
    "CZ",
    "DK",
    "EE",
    "FI",
    "FR",
    "DE",
    "GR",
    "HU",
    "IE",
    "IT",
    "LV",
    "LT",
    "LU",
    "MT",
    "NL",
    "NO",
    "PL",
    "PT",
    "RO",
    "SK",
    "SI",
    "ES",
    "SE",
    "CH",
    "GB",
)
ASIA_COUNTRIES: tuple[str, ...] = (
    "AU",
    "BD",
    "BN",
    "KH",
    "CN",
    "IN",
    "ID",
    "JP",
    "KZ",
    "KR",
    "LA",
    "MY",
    "MN",
    "MM",
    "NZ",
    "PK",
    "PH",
    "RU",
    "SG",
    "TH",
    "VN",
)
ASEM_COUNTRIES: tuple[str, ...] = EUROPE_COUNTRIES + ASIA_COUNTRIES


def region_of(country: str) -> Region:
    """The ASEM region of an ISO 3166-1 alpha-2 country code; ValueError if not a partner."""
    if country in EUROPE_COUNTRIES:
        return Region.EUROPE
    if country in ASIA_COUNTRIES:
        return Region.ASIA
    raise ValueError(f"{country!r} is not an ASEM partner country")


def N_(message: str) -> str:
    """Mark ``message`` for translation without translating it: it is stored in English."""
    return message


# ISCED-F 2013 fields of education and training: broad (2 digits), narrow (3), detailed (4).
# The English labels are the reference (the ``mooc_subject_area`` table, the API outputs);
# show them to people through ``subject_label``.
ISCED_F: dict[str, str] = {
    "00": N_("Generic programmes and qualifications"),
    "001": N_("Basic programmes and qualifications"),
    "0011": N_("Basic programmes and qualifications"),
    "002": N_("Literacy and numeracy"),
    "0021": N_("Literacy and numeracy"),
    "003": N_("Personal skills and development"),
    "0031": N_("Personal skills and development"),
    "01": N_("Education"),
    "011": N_("Education"),
    "0111": N_("Education science"),
    "0112": N_("Training for pre-school teachers"),
    "0113": N_("Teacher training without subject specialisation"),
    "0114": N_("Teacher training with subject specialisation"),
    "02": N_("Arts and humanities"),
    "021": N_("Arts"),
    "0211": N_("Audio-visual techniques and media production"),
    "0212": N_("Fashion, interior and industrial design"),
    "0213": N_("Fine arts"),
    "0214": N_("Handicrafts"),
    "0215": N_("Music and performing arts"),
    "022": N_("Humanities (except languages)"),
    "0221": N_("Religion and theology"),
    "0222": N_("History and archaeology"),
    "0223": N_("Philosophy and ethics"),
    "023": N_("Languages"),
    "0231": N_("Language acquisition"),
    "0232": N_("Literature and linguistics"),
    "03": N_("Social sciences, journalism and information"),
    "031": N_("Social and behavioural sciences"),
    "0311": N_("Economics"),
    "0312": N_("Political sciences and civics"),
    "0313": N_("Psychology"),
    "0314": N_("Sociology and cultural studies"),
    "032": N_("Journalism and information"),
    "0321": N_("Journalism and reporting"),
    "0322": N_("Library, information and archival studies"),
    "04": N_("Business, administration and law"),
    "041": N_("Business and administration"),
    "0411": N_("Accounting and taxation"),
    "0412": N_("Finance, banking and insurance"),
    "0413": N_("Management and administration"),
    "0414": N_("Marketing and advertising"),
    "0415": N_("Secretarial and office work"),
    "0416": N_("Wholesale and retail sales"),
    "0417": N_("Work skills"),
    "042": N_("Law"),
    "0421": N_("Law"),
    "05": N_("Natural sciences, mathematics and statistics"),
    "051": N_("Biological and related sciences"),
    "0511": N_("Biology"),
    "0512": N_("Biochemistry"),
    "052": N_("Environment"),
    "0521": N_("Environmental sciences"),
    "0522": N_("Natural environments and wildlife"),
    "053": N_("Physical sciences"),
    "0531": N_("Chemistry"),
    "0532": N_("Earth sciences"),
    "0533": N_("Physics"),
    "054": N_("Mathematics and statistics"),
    "0541": N_("Mathematics"),
    "0542": N_("Statistics"),
    "06": N_("Information and Communication Technologies (ICTs)"),
    "061": N_("Information and Communication Technologies (ICTs)"),
    "0611": N_("Computer use"),
    "0612": N_("Database and network design and administration"),
    "0613": N_("Software and applications development and analysis"),
    "07": N_("Engineering, manufacturing and construction"),
    "071": N_("Engineering and engineering trades"),
    "0711": N_("Chemical engineering and processes"),
    "0712": N_("Environmental protection technology"),
    "0713": N_("Electricity and energy"),
    "0714": N_("Electronics and automation"),
    "0715": N_("Mechanics and metal trades"),
    "0716": N_("Motor vehicles, ships and aircraft"),
    "072": N_("Manufacturing and processing"),
    "0721": N_("Food processing"),
    "0722": N_("Materials (glass, paper, plastic and wood)"),
    "0723": N_("Textiles (clothes, footwear and leather)"),
    "0724": N_("Mining and extraction"),
    "073": N_("Architecture and construction"),
    "0731": N_("Architecture and town planning"),
    "0732": N_("Building and civil engineering"),
    "08": N_("Agriculture, forestry, fisheries and veterinary"),
    "081": N_("Agriculture"),
    "0811": N_("Crop and livestock production"),
    "0812": N_("Horticulture"),
    "082": N_("Forestry"),
    "0821": N_("Forestry"),
    "083": N_("Fisheries"),
    "0831": N_("Fisheries"),
    "084": N_("Veterinary"),
    "0841": N_("Veterinary"),
    "09": N_("Health and welfare"),
    "091": N_("Health"),
    "0911": N_("Dental studies"),
    "0912": N_("Medicine"),
    "0913": N_("Nursing and midwifery"),
    "0914": N_("Medical diagnostic and treatment technology"),
    "0915": N_("Therapy and rehabilitation"),
    "0916": N_("Pharmacy"),
    "0917": N_("Traditional and complementary medicine and therapy"),
    "092": N_("Welfare"),
    "0921": N_("Care of the elderly and of disabled adults"),
    "0922": N_("Child care and youth services"),
    "0923": N_("Social work and counselling"),
    "10": N_("Services"),
    "101": N_("Personal services"),
    "1011": N_("Domestic services"),
    "1012": N_("Hair and beauty services"),
    "1013": N_("Hotel, restaurants and catering"),
    "1014": N_("Sports"),
    "1015": N_("Travel, tourism and leisure"),
    "102": N_("Hygiene and occupational health services"),
    "1021": N_("Community sanitation"),
    "1022": N_("Occupational health and safety"),
    "103": N_("Security services"),
    "1031": N_("Military and defence"),
    "1032": N_("Protection of persons and property"),
    "104": N_("Transport services"),
    "1041": N_("Transport services"),
}

BROAD_FIELDS: dict[str, str] = {code: label for code, label in ISCED_F.items() if len(code) == 2}


def subject_label(code: str, language: str | None = None) -> str:
    """The label of an ISCED-F code in ``language`` (default: the visitor's), or the code itself
    if it is not one.

    The one way to show a subject area to a person; API and JSON outputs keep ``ISCED_F``'s
    English labels.
    """
    label = ISCED_F.get(code)
    if label is None:
        return code
    if language is None:
        return gettext(label)
    with force_locale(language.replace("-", "_")):
        return gettext(label)
