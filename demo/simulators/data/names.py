"""People's names for the labelled population: regional pools, nicknames and typing variation."""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable

from demo.simulators.data.people import pick

# Given and family names by region: (share of people, given names, family names). A region is
# drawn by its share and each name uniformly from its pools, so that most people's two names
# come from one culture. Hundreds of names each way keep accidental namesakes at a firm rare.
_REGIONS: tuple[tuple[float, tuple[str, ...], tuple[str, ...]], ...] = (
    (
        0.38,
        (
            "James", "John", "Robert", "Michael", "William", "David", "Richard", "Joseph",
            "Thomas", "Charles", "Christopher", "Daniel", "Matthew", "Anthony", "Mark", "Donald",
            "Steven", "Paul", "Andrew", "Joshua", "Kenneth", "Kevin", "Brian", "George",
            "Timothy", "Ronald", "Edward", "Jason", "Jeffrey", "Ryan", "Jacob", "Gary",
            "Nicholas", "Eric", "Jonathan", "Stephen", "Lawrence", "Justin", "Scott", "Brandon",
            "Benjamin", "Samuel", "Gregory", "Alexander", "Frank", "Patrick", "Raymond", "Jack",
            "Dennis", "Tyler", "Aaron", "Henry", "Peter", "Frederick", "Douglas", "Nathan",
            "Zachary", "Kyle", "Ethan", "Owen", "Liam", "Connor", "Declan", "Callum", "Oliver",
            "Harry", "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan",
            "Jessica", "Sarah", "Karen", "Lisa", "Nancy", "Margaret", "Sandra", "Ashley",
            "Kimberly", "Emily", "Donna", "Michelle", "Carol", "Amanda", "Dorothy", "Melissa",
            "Deborah", "Stephanie", "Rebecca", "Sharon", "Laura", "Cynthia", "Kathleen", "Amy",
            "Angela", "Anna", "Brenda", "Pamela", "Emma", "Nicole", "Helen", "Samantha",
            "Katherine", "Christine", "Rachel", "Catherine", "Victoria", "Abigail", "Alexandra",
            "Jacqueline", "Megan", "Hannah", "Olivia", "Chloe", "Grace", "Madison", "Siobhán",
            "Aoife", "Niamh", "Mary Kate", "D'Andre", "Zoë", "Renée",
        ),
        (
            "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson",
            "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Lee", "Thompson",
            "White", "Harris", "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen", "King",
            "Wright", "Scott", "Hill", "Green", "Adams", "Baker", "Nelson", "Carter",
            "Mitchell", "Roberts", "Turner", "Phillips", "Campbell", "Parker", "Evans",
            "Edwards", "Collins", "Stewart", "Morris", "Murphy", "Cook", "Rogers", "Morgan",
            "Cooper", "Peterson", "Reed", "Bailey", "Bell", "Kelly", "Howard", "Ward", "Cox",
            "Richardson", "Wood", "Watson", "Brooks", "Bennett", "Gray", "Hughes", "Price",
            "Sanders", "Myers", "Long", "Ross", "Foster", "Powell", "Jenkins", "Perry",
            "Russell", "Sullivan", "Fisher", "Hamilton", "Graham", "Wallace", "West", "Cole",
            "Hayes", "Gibson", "Ellis", "Stevens", "Marshall", "Owens", "McDonald", "MacDonald",
            "Harrison", "O'Brien", "O'Neill", "O'Connor", "Fitzgerald", "Gallagher", "McCarthy",
            "Doyle", "Kennedy", "Byrne", "Quinn", "Smith-Jones", "Ashworth", "Whitaker",
            "Hollingsworth",
        ),
    ),
    (
        0.12,
        (
            "José", "María", "Juan", "Carlos", "Luis", "Jorge", "Miguel", "Alejandro", "Javier",
            "Francisco", "Antonio", "Manuel", "Pedro", "Raúl", "Sergio", "Andrés", "Diego",
            "Mateo", "Santiago", "Tomás", "Ángel", "Rubén", "Guillermo", "Ana María", "Lucía",
            "Sofía", "Valentina", "Camila", "Isabel", "Carmen", "Elena", "Gabriela", "Mariana",
            "Paula", "Daniela", "Verónica", "Marisol", "Inés", "Beatriz", "Pilar", "Rocío",
            "Adriana", "Ximena",
        ),
        (
            "García", "Rodríguez", "Martínez", "Hernández", "López", "González", "Pérez",
            "Sánchez", "Ramírez", "Torres", "Flores", "Rivera", "Gómez", "Díaz", "Cruz",
            "Morales", "Reyes", "Gutiérrez", "Ortiz", "Jiménez", "Ruiz", "Álvarez", "Castillo",
            "Romero", "Vargas", "Mendoza", "Herrera", "Medina", "Aguilar", "Castro", "Vásquez",
            "Núñez", "Fernández", "Muñoz", "Ibáñez", "Peña", "García Márquez", "De La Cruz",
            "Del Río", "Salazar",
        ),
    ),
    (
        0.05,
        (
            "François", "Jean-Luc", "Chloé", "Noémie", "Hélène", "Élodie", "Benoît", "Mathieu",
            "Céline", "Amélie", "Thibault", "Léa", "Étienne", "Margaux", "Julien", "Camille",
            "Guillaume", "Sébastien", "Aurélie", "Clément", "Océane", "Gaëlle", "Jérôme",
            "Anaïs", "Loïc",
        ),
        (
            "Dubois", "Lefèvre", "Bernard", "Durand", "Moreau", "Laurent", "Simon", "Michel",
            "Leroy", "Roux", "Fournier", "Girard", "Bonnet", "Mercier", "Blanc", "Guérin",
            "Faure", "Rousseau", "Chevalier", "Gauthier", "Lemaître", "Bélanger", "Côté",
            "Gagnon", "Tremblay", "Pelletier",
        ),
    ),
    (
        0.08,
        (
            "Jürgen", "Björn", "Søren", "Lukas", "Felix", "Maximilian", "Jonas", "Leon",
            "Florian", "Tobias", "Matthias", "Stefan", "Katrin", "Anja", "Sabine", "Jana",
            "Lena", "Ingrid", "Astrid", "Sigrid", "Freya", "Mette", "Lars", "Nils", "Henrik",
            "Magnus", "Øystein", "Åsa", "Maarten", "Pieter", "Joost", "Sanne", "Femke",
            "Annelies", "Karl-Heinz", "Anneliese", "Jörg", "Günter", "Uwe", "Dörte",
        ),
        (
            "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
            "Schulz", "Hoffmann", "Schröder", "Koch", "Richter", "Klein", "Wolf", "Neumann",
            "Schwarz", "Zimmermann", "Krüger", "Hartmann", "Köhler", "Jansen", "de Vries",
            "van den Berg", "van der Meer", "Bakker", "Visser", "Smit", "de Jong", "Andersen",
            "Johansson", "Nilsson", "Larsen", "Hansen", "Pedersen", "Ødegaard", "Lindqvist",
            "Åberg", "Sørensen", "Bjørnstad", "Eriksson", "Halvorsen",
        ),
    ),
    (
        0.05,
        (
            "Giulia", "Chiara", "Francesca", "Alessandro", "Lorenzo", "Matteo", "Giuseppe",
            "Marco", "Luca", "Federica", "Niccolò", "Davide", "Elisa", "Martina", "João",
            "Gonçalo", "Rafael", "Tiago", "Leonor", "Dimitris", "Giorgos", "Eleni", "Katerina",
            "Nikos", "Sofia",
        ),
        (
            "Rossi", "Bianchi", "Russo", "Ferrari", "Esposito", "Romano", "Colombo", "Ricci",
            "Marino", "Greco", "Bruno", "Gallo", "Conti", "De Luca", "Costa", "Giordano",
            "Mancini", "Lombardi", "Silva", "Santos", "Ferreira", "Pereira", "Oliveira",
            "Rodrigues", "Gonçalves", "Conceição", "Magalhães", "Papadopoulos", "Georgiou",
            "Nikolaidis", "Konstantinou",
        ),
    ),
    (
        0.06,
        (
            "Łukasz", "Małgorzata", "Piotr", "Krzysztof", "Tomasz", "Paweł", "Agnieszka",
            "Katarzyna", "Joanna", "Zofia", "Wojciech", "Michał", "Jiří", "Tomáš", "Petr",
            "Lucie", "Tereza", "Dmitri", "Olga", "Ekaterina", "Natalia", "Sergei", "Aleksandr",
            "Ivan", "Anastasia", "Svetlana", "Mikhail", "Oksana", "Bohdan", "Yulia", "Dragan",
            "Milica", "Ivana",
        ),
        (
            "Kowalski", "Wiśniewski", "Nowak", "Wójcik", "Kamiński", "Lewandowski", "Zieliński",
            "Szymański", "Woźniak", "Dąbrowski", "Novák", "Dvořák", "Svoboda", "Černý",
            "Procházka", "Kučera", "Ivanov", "Petrov", "Smirnov", "Kuznetsov", "Popov",
            "Sokolova", "Volkov", "Morozova", "Shevchenko", "Kovalenko", "Bondarenko", "Horvat",
            "Kovačević", "Jovanović", "Petrović",
        ),
    ),
    (
        0.07,
        (
            "Priya", "Rahul", "Amit", "Anjali", "Arjun", "Deepak", "Divya", "Kavya", "Rohan",
            "Sanjay", "Sunita", "Vikram", "Neha", "Pooja", "Aditya", "Aarav", "Ishaan", "Meera",
            "Lakshmi", "Ravi", "Sandeep", "Shreya", "Nikhil", "Imran", "Ayesha", "Farhan",
            "Zainab", "Tanvir", "Nusrat",
        ),
        (
            "Patel", "Shah", "Sharma", "Singh", "Kumar", "Gupta", "Mehta", "Iyer", "Reddy",
            "Rao", "Nair", "Menon", "Chatterjee", "Banerjee", "Mukherjee", "Desai", "Joshi",
            "Kapoor", "Malhotra", "Agarwal", "Bhatt", "Chowdhury", "Hossain", "Rahman", "Khan",
            "Qureshi", "Siddiqui", "Pillai", "Krishnan",
        ),
    ),
    (
        0.08,
        (
            "Wei", "Fang", "Na", "Jing", "Li Na", "Xiaoming", "Jun", "Hao", "Yan", "Mei", "Lei",
            "Ying", "Hiroshi", "Yuki", "Takashi", "Haruto", "Sakura", "Yui", "Kenji", "Aiko",
            "Shota", "Ren", "Min-jun", "Seo-yeon", "Ji-woo", "Hyun-woo", "Ji-hoon", "Soo-ah",
            "Eun-ji", "Dae-jung",
        ),
        (
            "Chen", "Wang", "Zhang", "Liu", "Li", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu",
            "Sun", "Ma", "Zhu", "Hu", "Guo", "Lin", "He", "Gao", "Luo", "Tanaka", "Sato",
            "Suzuki", "Takahashi", "Watanabe", "Ito", "Yamamoto", "Nakamura", "Kobayashi",
            "Kato", "Kim", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang", "Lim", "Han",
        ),
    ),
    (
        0.02,
        (
            "Hương", "Minh", "Anh", "Thảo", "Linh", "Tuấn", "Dũng", "Phương", "Quang", "Hải",
            "Trang", "Ngọc",
        ),
        (
            "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi",
            "Đỗ",
        ),
    ),
    (
        0.05,
        (
            "Mohammed", "Ahmed", "Omar", "Ali", "Hassan", "Youssef", "Khalid", "Fatima", "Aisha",
            "Layla", "Mariam", "Nour", "Rania", "Karim", "Samir", "Tariq", "Leila", "Yasmin",
            "İlkay", "Ömer", "Emre", "Elif", "Zeynep", "Burak", "Çağla", "Mehmet", "Dariush",
            "Shirin", "Reza", "Parisa", "Avi", "Noa", "Yael",
        ),
        (
            "Al-Sayed", "Haddad", "Khoury", "Nasser", "Hamdan", "Saleh", "Mansour", "Farouk",
            "El-Amin", "Abdullah", "Rahimi", "Hosseini", "Karimi", "Tehrani", "Kaya", "Demir",
            "Şahin", "Çelik", "Öztürk", "Arslan", "Doğan", "Cohen", "Levi", "Mizrahi",
            "Friedman", "Katz", "Shapiro",
            # Turkish names with a dotless i, escaped because it looks like an i.
            "Y\u0131lmaz", "Ayd\u0131n", "K\u0131l\u0131\u00e7",
        ),
    ),
    (
        0.04,
        (
            "Kwame", "Kofi", "Ama", "Akosua", "Yaw", "Chinedu", "Chiamaka", "Ngozi", "Emeka",
            "Oluwaseun", "Adebayo", "Folake", "Tunde", "Amara", "Wanjiru", "Njeri", "Otieno",
            "Achieng", "Tendai", "Thabo", "Lindiwe", "Sipho", "Abebe", "Selam", "Mekdes",
        ),
        (
            "Okafor", "Mensah", "Boateng", "Asante", "Owusu", "Adeyemi", "Okonkwo", "Eze",
            "Nwosu", "Balogun", "Ogunleye", "Mwangi", "Kamau", "Ochieng", "Kariuki", "Dlamini",
            "Nkosi", "Ndlovu", "Mokoena", "Tesfaye", "Bekele", "Haile", "Diallo", "Traoré",
            "Keita", "Ba",
        ),
    ),
)  # fmt: skip
# The share of people whose last name is drawn from another region than their first name
# ("Priya Smith"), which also spreads names over many more combinations.
MIXED_REGIONS_RATE = 0.35
FIRST_NAMES = tuple(dict.fromkeys(name for _, firsts, _ in _REGIONS for name in firsts))
LAST_NAMES = tuple(dict.fromkeys(name for _, _, lasts in _REGIONS for name in lasts))

# Formal given name -> the short forms people go by. Written independently of the dbt project's
# nickname seed, so that linking is not scored against its own table.
NICKNAMES: dict[str, tuple[str, ...]] = {
    "Robert": ("Bob", "Rob", "Bobby"), "William": ("Bill", "Will", "Billy"),
    "Elizabeth": ("Liz", "Beth", "Lizzie"), "Katherine": ("Kate", "Katie", "Kathy"),
    "Catherine": ("Cathy", "Cate"), "James": ("Jim", "Jimmy", "Jamie"), "John": ("Jack", "Johnny"),
    "Michael": ("Mike", "Mick"), "Thomas": ("Tom", "Tommy"), "Christopher": ("Chris", "Kit"),
    "Richard": ("Rick", "Dick", "Rich"), "Joseph": ("Joe", "Joey"), "Daniel": ("Dan", "Danny"),
    "Matthew": ("Matt",), "Anthony": ("Tony",), "Andrew": ("Andy", "Drew"), "Steven": ("Steve",),
    "Edward": ("Ed", "Ted", "Eddie"), "Alexander": ("Alex", "Xander"), "Benjamin": ("Ben",),
    "Jonathan": ("Jon", "Jonny"), "Nicholas": ("Nick",), "Samuel": ("Sam", "Sammy"),
    "Charles": ("Charlie", "Chuck"), "Timothy": ("Tim",), "Gregory": ("Greg",),
    "Kenneth": ("Ken", "Kenny"), "Ronald": ("Ron", "Ronnie"), "Donald": ("Don",),
    "Lawrence": ("Larry",), "Frederick": ("Fred", "Freddie"), "Peter": ("Pete",),
    "Patrick": ("Pat", "Paddy"), "Douglas": ("Doug",), "Zachary": ("Zach", "Zack"),
    "Nathan": ("Nate",), "Jennifer": ("Jen", "Jenny"), "Margaret": ("Maggie", "Peggy", "Meg"),
    "Patricia": ("Pat", "Trish", "Patty"), "Rebecca": ("Becky", "Becca"), "Susan": ("Sue",),
    "Deborah": ("Deb", "Debbie"), "Jessica": ("Jess",), "Victoria": ("Vicky", "Tori"),
    "Abigail": ("Abby",), "Alexandra": ("Alex", "Sasha"), "Kimberly": ("Kim",),
    "Christine": ("Chris", "Tina"), "Jacqueline": ("Jackie",), "Samantha": ("Sam",),
    "Pamela": ("Pam",), "Cynthia": ("Cindy",), "Dorothy": ("Dot", "Dottie"),
    "Barbara": ("Barb",), "Stephanie": ("Steph",), "Amanda": ("Mandy",), "Melissa": ("Mel",),
    "Francisco": ("Paco",), "José": ("Pepe",), "Guillermo": ("Memo",), "Giuseppe": ("Beppe",),
    "Aleksandr": ("Sasha",), "Dmitri": ("Dima",), "Ekaterina": ("Katya",), "Mikhail": ("Misha",),
    "Anastasia": ("Nastya",), "Maximilian": ("Max",), "Katarzyna": ("Kasia",),
    "Małgorzata": ("Gosia",), "Wojciech": ("Wojtek",),
}  # fmt: skip

# NFKD leaves these letters whole, so they are folded by hand.
_LETTER_FOLDS = str.maketrans(
    {"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ß": "ss", "æ": "ae"}
    | {"\u0131": "i", "\u0130": "I"}  # dotless i and dotted capital I, escaped: they look like I
)


def unaccented(name: str) -> str:
    """Returns `name` without diacritics, as keyboards without them type it: "José" -> "Jose"."""
    decomposed = unicodedata.normalize("NFKD", name.translate(_LETTER_FOLDS))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _share(applies: Callable[[str], bool], *, last_too: bool) -> float:
    """Returns the share of drawn people with a first name (or a last name) that `applies`."""

    def fraction(names: tuple[str, ...]) -> float:
        return sum(map(applies, names)) / len(names)

    any_last = sum(weight * fraction(lasts) for weight, _, lasts in _REGIONS) if last_too else 0.0
    share = 0.0
    for weight, firsts, lasts in _REGIONS:
        last = 0.0
        if last_too:
            last = (1 - MIXED_REGIONS_RATE) * fraction(lasts) + MIXED_REGIONS_RATE * any_last
        share += weight * (1 - (1 - fraction(firsts)) * (1 - last))
    return share


_REGION_POOL = tuple(
    (firsts, lasts) for weight, firsts, lasts in _REGIONS for _ in range(round(weight * 100))
)
NICKNAMED_SHARE = _share(NICKNAMES.__contains__, last_too=False)
ACCENTED_SHARE = _share(lambda name: unaccented(name) != name, last_too=True)

# How the names on a person's further contacts differ from the first contact's: the share of
# further contacts with each kind of variation (at most one each), the rest typed the same.
# Nicknames and dropped accents can only happen to some names; those names get them more often,
# so that the overall shares are about these.
NAME_VARIATION_RATES = {
    "typo": 0.10,  # one letter substituted, deleted, or two swapped
    "nickname": 0.08,  # Robert -> Bob
    "swapped": 0.02,  # first and last name swapped
    "missing_part": 0.04,  # first or last name left out
    "accents_dropped": 0.05,  # José -> Jose
    "case_whitespace": 0.06,  # "SMITH", "john", " Anna "
}
_NICKNAME_ODDS = min(1.0, NAME_VARIATION_RATES["nickname"] / NICKNAMED_SHARE)
_ACCENT_ODDS = min(1.0, NAME_VARIATION_RATES["accents_dropped"] / ACCENTED_SHARE)
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def person_name(rng: random.Random) -> tuple[str, str]:
    """Returns a (first name, last name), both from one region's pools but now and then not."""
    firsts, lasts = pick(rng, _REGION_POOL)
    if rng.random() < MIXED_REGIONS_RATE:
        lasts = pick(rng, _REGION_POOL)[1]
    return pick(rng, firsts), pick(rng, lasts)


def typo(rng: random.Random, name: str) -> str:
    """Returns `name` with one letter substituted or deleted, or two neighbours transposed.

    The first letter is left alone, as people rarely get it wrong; names shorter than three
    letters come back unchanged.
    """
    if len(name) < 3:
        return name
    roll = rng.random()
    position = 1 + int(rng.random() * (len(name) - 1))
    if roll < 0.4:
        letter = pick(rng, _LETTERS.replace(name[position].lower(), ""))
        return name[:position] + letter + name[position + 1 :]
    if roll < 0.7 or position == len(name) - 1 or name[position] == name[position + 1]:
        return name[:position] + name[position + 1 :]
    return name[:position] + name[position + 1] + name[position] + name[position + 2 :]


def _noisy(rng: random.Random, name: str) -> str:
    roll = rng.random()
    if roll < 0.3:
        return name.upper()
    if roll < 0.55:
        return name.lower()
    if roll < 0.8:
        return f" {name}" if roll < 0.7 else f"{name} "
    return f"{name}  " if " " not in name else name.replace(" ", "  ", 1)


def vary_name(
    rng: random.Random, first: str, last: str
) -> tuple[str | None, str | None, str | None]:
    """Returns a person's name as typed on one of their further contacts.

    Args:
        rng: Draws the variation; see NAME_VARIATION_RATES for the odds.
        first: The person's first name as their first contact has it.
        last: Their last name.

    Returns:
        (first name, last name, the NAME_VARIATION_RATES kind applied or None for none); a
        missing part is None.
    """
    # One roll walks the kinds in turn; a kind that cannot happen to this name takes no share.
    roll = rng.random()
    if first in NICKNAMES:
        if roll < _NICKNAME_ODDS:
            return pick(rng, NICKNAMES[first]), last, "nickname"
        roll -= _NICKNAME_ODDS
    plain_first, plain_last = unaccented(first), unaccented(last)
    if (plain_first, plain_last) != (first, last):
        if roll < _ACCENT_ODDS:
            return plain_first, plain_last, "accents_dropped"
        roll -= _ACCENT_ODDS
    rates = NAME_VARIATION_RATES
    if roll < rates["typo"]:
        if len(last) >= 3 and (len(first) < 3 or rng.random() < 0.5):
            return first, typo(rng, last), "typo"
        if len(first) >= 3:
            return typo(rng, first), last, "typo"
        return first, last, None
    roll -= rates["typo"]
    if roll < rates["swapped"]:
        return last, first, "swapped"
    roll -= rates["swapped"]
    if roll < rates["missing_part"]:
        return (None, last, "missing_part") if rng.random() < 0.6 else (first, None, "missing_part")
    roll -= rates["missing_part"]
    if roll < rates["case_whitespace"]:
        if rng.random() < 0.5:
            return _noisy(rng, first), last, "case_whitespace"
        return first, _noisy(rng, last), "case_whitespace"
    return first, last, None
