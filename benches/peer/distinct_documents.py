"""Writes N distinct one-page End-User Certificates, one JSON document per line, for the batch
benchmark (scripts/bench-batch.sh): eucdoc's `render --jsonl` and Typst's PyPI binding
(typst_render.py --jsonl) render the same documents.

Each document differs from the next as real ones do: importer, end user and exporter (names,
towns, streets, phones), place and purpose of use, one to three goods lines from a list of
dual-use items with their quantities, contract and signer. The same N gives the same file
(a fixed seed), so two builds are measured on the same documents.

Usage: python distinct_documents.py EXAMPLE_JSON N > documents.jsonl
"""

import json
import random
import sys

KZ_WORDS = [
    "Алатау", "Қазтех", "Сарыарқа", "Жетісу", "Ертіс", "Көкшетау", "Тараз", "Маңғыстау",
    "Оңтүстік", "Шығыс", "Батыс", "Орталық", "Дала", "Ұлытау", "Қаратау", "Нұр",
]
KZ_TRADES = [
    "Технолоджи", "Энергосервис", "Инжиниринг", "Құрылыс", "Транс", "Металл", "Өлшеу",
    "Бұрғылау", "Зертхана", "Телеком", "Жабдық", "Автоматика", "Геофизика", "Сервис",
]
FORMS = ["ЖШС", "АҚ", "ТОО", "ЖШС"]
TOWNS = [
    ("050000", "Алматы қ."), ("010000", "Астана қ."), ("160000", "Шымкент қ."),
    ("100000", "Қарағанды қ."), ("030000", "Ақтөбе қ."), ("060000", "Атырау қ."),
    ("140000", "Павлодар қ."), ("070000", "Өскемен қ."), ("110000", "Қостанай қ."),
    ("090000", "Орал қ."), ("080000", "Тараз қ."), ("130000", "Ақтау қ."),
]
STREETS = [
    "Абай даңғ.", "Сәтпаев к-сі", "Төле би к-сі", "Қабанбай батыр даңғ.", "Республика даңғ.",
    "Желтоқсан к-сі", "Әуезов к-сі", "Бұқар жырау даңғ.", "Тұран даңғ.", "Гоголь к-сі",
    "Жібек жолы к-сі", "Мәңгілік Ел даңғ.",
]
EXPORTERS = [
    ("DE", "{w} Messtechnik GmbH", "{s} {n}, {z} Stuttgart", ["Industriestraße", "Hauptstraße", "Königstraße"]),
    ("IT", "{w} Strumenti S.p.A.", "Via {s} {n}, {z} Milano", ["Roma", "Garibaldi", "Verdi"]),
    ("FR", "{w} Systèmes SAS", "{n} rue {s}, {z} Lyon", ["de la République", "Pasteur", "Victor Hugo"]),
    ("KR", "{w} Electronics Co., Ltd.", "{n} {s}-ro, Seongnam-si {z}", ["Pangyoyeok", "Daewangpangyo", "Seongnam"]),
    ("CN", "{w} Instruments Co., Ltd.", "No. {n} {s} Road, Shenzhen {z}", ["Keji", "Gaoxin", "Nanshan"]),
    ("TR", "{w} Elektronik A.Ş.", "{s} Cad. No:{n}, {z} Ankara", ["Atatürk", "İnönü", "Cumhuriyet"]),
    ("CZ", "{w} Přístroje s.r.o.", "{s} {n}, {z} Brno", ["Husova", "Palackého", "Údolní"]),
]
EXPORTER_WORDS = ["Muster", "Nordwerk", "Alpen", "Vega", "Orion", "Kappa", "Delta", "Sirius", "Helix"]
GOODS = [
    ("Цифрлық осциллограф MM-{m}", "Өткізу жолағы 8 ГГц, 4 арна, дискретизация жиілігі 40 Гвыб/с",
     "9030201000", "3A002.a.5", "дана"),
    ("Жылу бейнелеу камерасы TK-{m}", "Салқындатылмайтын микроболометрлік матрица 640×512, 30 Гц",
     "8525893000", "6A003.b.4.b", "дана"),
    ("Аппараттық шифрлау модулі HSM-{m}", "AES-256 шифрлау алгоритмі бар желілік аппараттық модуль",
     "8471800000", "5A002.a", "дана"),
    ("Сандық басқарылатын станок CNC-{m}", "5 осьті фрезерлік станок, позициялау дәлдігі 4 мкм",
     "8459610000", "2B001.b.2", "дана"),
    ("Спектр анализаторы SA-{m}", "Жиілік диапазоны 9 кГц – 43 ГГц, динамикалық диапазон 110 дБ",
     "9030840000", "3A002.c.1", "дана"),
    ("Көміртекті талшық T-{m}", "Созылу беріктігі 5,6 ГПа, меншікті модулі 14,8×10⁶ м",
     "6815190000", "1C010.a", "кг"),
    ("Инерциялық навигация блогы IMU-{m}", "Гироскоптардың дрейфі 0,01°/сағ, акселерометрлер 50 мкg",
     "9014208000", "7A003.a", "дана"),
    ("Жоғары вольтты конденсатор HV-{m}", "Кернеуі 1,5 кВ, сыйымдылығы 0,8 мкФ, индуктивтілігі 40 нГн",
     "8532250000", "3A001.e.2", "дана"),
    ("Тұрақты магниттер жиынтығы NdFeB-{m}", "Қалдық магниттелуі 1,4 Тл, коэрцитивтік күші 2000 кА/м",
     "8505111000", "1C003.a", "кг"),
    ("Радиолокациялық модуль RM-{m}", "Жиілігі 77 ГГц, антенналық тор 12×16, шығыс қуаты 20 дБм",
     "8526919000", "6A008.d", "дана"),
]
SIGNERS = [
    ("Жұмабеков Ерлан Серікұлы", "Өнеркәсіп комитеті Экспорттық бақылау басқармасының басшысы"),
    ("Сәрсенбаева Әйгерім Болатқызы", "Өнеркәсіп комитеті Экспорттық бақылау басқармасы басшысының орынбасары"),
    ("Иванов Сергей Петрович", "Өнеркәсіп комитеті төрағасының орынбасары"),
    ("Оспанов Нұрлан Қайратұлы", "Өнеркәсіп комитеті Экспорттық бақылау басқармасының бас сарапшысы"),
]
# Valid BINs (their check digits hold) from eucdoc's examples and tests.
BINS = ["091240012346", "121040035792", "150340005675", "180640024688"]
PURPOSES = [
    "Энергетикалық жабдықтың электрондық басқару блоктарын сынау және жөндеу; әскери мақсатта пайдаланылмайды",
    "Мұнай-газ ұңғымаларын геофизикалық зерттеу; әскери мақсатта пайдаланылмайды",
    "Университеттің ғылыми зертханасында оқу және зерттеу жұмыстары; әскери мақсатта пайдаланылмайды",
    "Байланыс желісінің жабдығын жаңарту және қызмет көрсету; әскери мақсатта пайдаланылмайды",
    "Азаматтық авиация әуежайының жерүсті жабдығын сынау; әскери мақсатта пайдаланылмайды",
]


def kz_company(rng: random.Random) -> str:
    return f"{rng.choice(FORMS)} «{rng.choice(KZ_WORDS)} {rng.choice(KZ_TRADES)}»"


def kz_address(rng: random.Random) -> str:
    code, town = rng.choice(TOWNS)
    return f"{code}, {town}, {rng.choice(STREETS)}, {rng.randint(1, 250)}"


def kz_phone(rng: random.Random) -> str:
    return f"+7 7{rng.randint(10, 29)} {rng.randint(200, 799)} {rng.randint(10, 99)} {rng.randint(10, 99)}"


def document(example: dict, index: int, rng: random.Random) -> dict:
    doc = json.loads(json.dumps(example))
    doc["number"] = f"KZ-EUC-2026-{index + 1:06d}"
    # The contract comes first: its date may not be after the issue date.
    doc["issue_date"] = f"2026-{rng.randint(7, 12):02d}-{rng.randint(1, 28):02d}"
    for party in ("importer", "end_user"):
        doc[party].update(
            name=kz_company(rng),
            address=kz_address(rng),
            phone=kz_phone(rng),
            bin_iin=rng.choice(BINS),
        )
    country, name, address, streets = rng.choice(EXPORTERS)
    doc["exporter"] = {
        "name": name.format(w=rng.choice(EXPORTER_WORDS)),
        "country": country,
        "address": address.format(s=rng.choice(streets), n=rng.randint(1, 120), z=rng.randint(10000, 99999)),
    }
    end_user = doc["end_user"]
    doc["place_of_use"] = f"Қазақстан Республикасы, {end_user['address']}, {end_user['name']} өндірістік алаңы"
    doc["purpose_of_use"] = rng.choice(PURPOSES)
    doc["goods"] = [
        {
            "name": name.format(m=rng.randint(100, 9999)),
            "description": description,
            "hs_code": hs_code,
            "control_list_code": control,
            "unit": unit,
            "quantity": str(rng.randint(1, 500)),
        }
        for name, description, hs_code, control, unit in rng.sample(GOODS, rng.randint(1, 3))
    ]
    doc["contract"] = {
        "number": f"{rng.choice('ABCDEKMNPT')}{rng.choice('ABCDEKMNPT')}-KZ/2026-{rng.randint(1, 999):03d}",
        "date": f"2026-{rng.randint(1, 6):02d}-{rng.randint(1, 28):02d}",
    }
    full_name, position = rng.choice(SIGNERS)
    doc["signer"] = {"full_name": full_name, "position": position}
    return doc


def main() -> None:
    example = json.loads(open(sys.argv[1], encoding="utf-8").read())
    count = int(sys.argv[2])
    rng = random.Random(2026)
    for index in range(count):
        print(json.dumps(document(example, index, rng), ensure_ascii=False))


if __name__ == "__main__":
    main()
