"""Write fra-eng-small.txt: a small English-French parallel corpus in the format of the book's
fra.txt (`English<TAB>French` per line, French with a narrow no-break space before `!` and
`?`, as the Tatoeba file the book downloads), made from templates and a hand-written lexicon.

    python glasstorch/d2l/data/make_parallel_corpus.py   # rewrites the file next to this script

The sentences agree in person, number and gender (j'aime / il aime / nous aimons, il est
content / elle est contente), elide where French does (j'ai, n'aime, qu'il, l'eau) and are
sorted by the English sentence's length, as fra.txt is roughly, so that the book's first few
hundred examples are the shortest. The output is deterministic. Written for glasstorch; the
script and its output are dedicated to the public domain (CC0 1.0, see data/README.md).
"""

import os

NNBSP = "\u202f"  # fra.txt puts U+202F before French ! and ?

# a few set phrases, as fra.txt begins
PHRASES = [
    ("Go.", "Va !"), ("Hi.", "Salut !"), ("Run!", "Cours !"), ("Wait!", "Attends !"),
    ("Stop!", "Arrête !"), ("Help!", "À l'aide !"), ("Thanks.", "Merci."), ("I see.", "Je vois."),
    ("Come in.", "Entre."), ("Sit down.", "Assieds-toi."), ("We won.", "Nous avons gagné."),
    ("I'm OK.", "Je vais bien."), ("Hello!", "Bonjour !"), ("Goodbye!", "Au revoir !"),
    ("Who knows?", "Qui sait ?"), ("Listen.", "Écoute."), ("Be quiet.", "Tais-toi."),
    ("Get up.", "Lève-toi."), ("Hurry up.", "Dépêche-toi."), ("I know.", "Je sais."),
    # more than one translation of a sentence, as fra.txt has
    ("Hi.", "Salut."), ("Go.", "Bouge !"), ("Go.", "En route !"), ("Run!", "Courez !"),
    ("Wait!", "Attendez !"), ("Stop!", "Arrêtez !"), ("Help!", "Au secours !"),
    ("Hello!", "Salut !"), ("Listen.", "Écoutez."), ("Come in.", "Entrez."),
    ("Get up.", "Levez-vous."), ("Sit down.", "Asseyez-vous."), ("Be quiet.", "Taisez-vous."),
    ("Hurry up.", "Dépêchez-vous."), ("Thanks.", "Merci !"),
    ("Go now.", "Va maintenant."), ("Go home.", "Va chez toi."),
    ("I won.", "J'ai gagné."), ("I lost.", "J'ai perdu."), ("We lost.", "Nous avons perdu."),
    ("They won.", "Ils ont gagné."), ("They lost.", "Ils ont perdu."),
    ("I'm home.", "Je suis chez moi."), ("He's home.", "Il est chez lui."),
    ("She's home.", "Elle est chez elle."), ("We're home.", "Nous sommes chez nous."),
]

# English subject, French subject, person index (0-5: je, tu, il/elle, nous, vous, ils/elles),
# the subject's gender and number for adjectives: m, f, mp, fp
SUBJECTS = [
    ("I", "je", 0, "m"), ("You", "tu", 1, "m"), ("He", "il", 2, "m"), ("She", "elle", 2, "f"),
    ("We", "nous", 3, "mp"), ("They", "ils", 5, "mp"), ("They", "elles", 5, "fp"),
]

# English base form and third person singular, French forms for the six persons
VERBS = {
    "like": (("like", "likes"), ("aime", "aimes", "aime", "aimons", "aimez", "aiment")),
    "see": (("see", "sees"), ("vois", "vois", "voit", "voyons", "voyez", "voient")),
    "want": (("want", "wants"), ("veux", "veux", "veut", "voulons", "voulez", "veulent")),
    "have": (("have", "has"), ("ai", "as", "a", "avons", "avez", "ont")),
    "eat": (("eat", "eats"), ("mange", "manges", "mange", "mangeons", "mangez", "mangent")),
    "drink": (("drink", "drinks"), ("bois", "bois", "boit", "buvons", "buvez", "boivent")),
    "read": (("read", "reads"), ("lis", "lis", "lit", "lisons", "lisez", "lisent")),
    "buy": (("buy", "buys"), ("achète", "achètes", "achète", "achetons", "achetez",
                              "achètent")),
    "find": (("find", "finds"), ("trouve", "trouves", "trouve", "trouvons", "trouvez",
                                 "trouvent")),
}

# English noun, its plural, French noun, its plural, gender
NOUNS = {
    "apple": ("apple", "apples", "pomme", "pommes", "f"),
    "bread": ("bread", None, "pain", None, "m"),
    "cake": ("cake", "cakes", "gâteau", "gâteaux", "m"),
    "fish": ("fish", None, "poisson", None, "m"),
    "water": ("water", None, "eau", None, "f"),
    "milk": ("milk", None, "lait", None, "m"),
    "tea": ("tea", None, "thé", None, "m"),
    "coffee": ("coffee", None, "café", None, "m"),
    "book": ("book", "books", "livre", "livres", "m"),
    "letter": ("letter", "letters", "lettre", "lettres", "f"),
    "newspaper": ("newspaper", "newspapers", "journal", "journaux", "m"),
    "cat": ("cat", "cats", "chat", "chats", "m"),
    "dog": ("dog", "dogs", "chien", "chiens", "m"),
    "bird": ("bird", "birds", "oiseau", "oiseaux", "m"),
    "house": ("house", "houses", "maison", "maisons", "f"),
    "car": ("car", "cars", "voiture", "voitures", "f"),
    "key": ("key", "keys", "clé", "clés", "f"),
}

# which objects each verb takes (so that nobody drinks a book)
OBJECTS = {
    "like": ["apple", "bread", "cake", "fish", "tea", "coffee", "book", "cat", "dog", "bird",
             "house", "car"],
    "see": ["cat", "dog", "bird", "house", "car", "book", "letter", "key"],
    "want": ["apple", "cake", "water", "milk", "tea", "coffee", "book", "dog", "car", "key"],
    "have": ["apple", "book", "cat", "dog", "bird", "house", "car", "key", "letter"],
    "eat": ["apple", "bread", "cake", "fish"],
    "drink": ["water", "milk", "tea", "coffee"],
    "read": ["book", "letter", "newspaper"],
    "buy": ["apple", "bread", "cake", "fish", "milk", "book", "newspaper", "car", "house"],
    "find": ["book", "letter", "key", "cat", "dog"],
}
COUNTABLE_VERBS = ["have", "see", "want", "buy", "find"]
NUMBERS = [("two", "deux"), ("three", "trois"), ("four", "quatre"), ("five", "cinq")]

# English adjective, French masculine, feminine, masculine plural, feminine plural
ADJECTIVES = [
    ("happy", "content", "contente", "contents", "contentes"),
    ("tired", "fatigué", "fatiguée", "fatigués", "fatiguées"),
    ("ready", "prêt", "prête", "prêts", "prêtes"),
    ("sad", "triste", "triste", "tristes", "tristes"),
    ("sick", "malade", "malade", "malades", "malades"),
    ("tall", "grand", "grande", "grands", "grandes"),
    ("late", "en retard", "en retard", "en retard", "en retard"),
    ("calm", "calme", "calme", "calmes", "calmes"),
]
BE = (("I'm", "You're", "He's", "She's", "We're", "They're", "They're"),
      ("suis", "es", "est", "est", "sommes", "sont", "sont"))

PLACES = [("in", "dans"), ("under", "sous")]  # under: only what stands on the ground
ANIMALS = ["cat", "dog", "bird"]
ROOMS = [("house", "maison", "f"), ("car", "voiture", "f"), ("garden", "jardin", "m"),
         ("kitchen", "cuisine", "f"), ("box", "boîte", "f")]


def starts_with_vowel(word):
    return word[0] in "aeiouhéèêâàô"


def elide(word, following):
    """je -> j', ne -> n', que -> qu', le/la -> l' before a vowel."""
    if starts_with_vowel(following):
        return word[:-1] + "'"
    return word + " "


def definite(noun):
    french, gender = NOUNS[noun][2], NOUNS[noun][4]
    article = "le" if gender == "m" else "la"
    return "the " + noun, elide(article, french) + french


def indefinite(noun):
    english, french, gender = NOUNS[noun][0], NOUNS[noun][2], NOUNS[noun][4]
    mass = NOUNS[noun][1] is None  # bread, water, ...: "some"
    if mass:
        partitive = "de l'" if starts_with_vowel(french) else ("du " if gender == "m" else "de la ")
        return "some " + english, partitive + french
    article_en = "an " if english[0] in "aeiou" else "a "
    return article_en + english, ("un " if gender == "m" else "une ") + french


def english_verb(verb, person):
    base, third = VERBS[verb][0]
    return third if person == 2 else base


def capitalized(text):
    return text[0].upper() + text[1:]


def affirmative():
    for subject_en, subject_fr, person, _ in SUBJECTS:
        for verb, objects in OBJECTS.items():
            verb_fr = VERBS[verb][1][person]
            for noun in objects:
                # "I like an apple" is not English: like takes the definite article only
                articles = (definite,) if verb == "like" else (definite, indefinite)
                for object_en, object_fr in (article(noun) for article in articles):
                    yield (f"{subject_en} {english_verb(verb, person)} {object_en}.",
                           capitalized(elide(subject_fr, verb_fr) if subject_fr == "je"
                                       else subject_fr + " ") + f"{verb_fr} {object_fr}.")


def negative():
    for subject_en, subject_fr, person, _ in SUBJECTS:
        for verb in ("like", "see", "want", "read", "find"):
            verb_fr = VERBS[verb][1][person]
            do = "doesn't" if person == 2 else "don't"
            for noun in OBJECTS[verb]:
                object_en, object_fr = definite(noun)
                yield (f"{subject_en} {do} {verb} {object_en}.",
                       capitalized(subject_fr) + f" {elide('ne', verb_fr)}{verb_fr} pas "
                       f"{object_fr}.")


def questions():
    for subject_en, subject_fr, person, _ in SUBJECTS[1:]:
        for verb in ("like", "see", "want", "have"):
            verb_fr = VERBS[verb][1][person]
            do = "Does" if person == 2 else "Do"
            for noun in OBJECTS[verb]:
                object_en, object_fr = definite(noun)
                yield (f"{do} {subject_en.lower()} {verb} {object_en}?",
                       f"Est-ce {elide('que', subject_fr)}{subject_fr} {verb_fr} "
                       f"{object_fr}{NNBSP}?")


def counting():
    for subject_en, subject_fr, person, _ in SUBJECTS:
        for verb in COUNTABLE_VERBS:
            verb_fr = VERBS[verb][1][person]
            for noun in OBJECTS[verb]:
                plural_en, plural_fr = NOUNS[noun][1], NOUNS[noun][3]
                if plural_en is None:
                    continue
                for number_en, number_fr in NUMBERS:
                    yield (f"{subject_en} {english_verb(verb, person)} {number_en} {plural_en}.",
                           capitalized(elide(subject_fr, verb_fr) if subject_fr == "je"
                                       else subject_fr + " ") + f"{verb_fr} {number_fr} "
                           f"{plural_fr}.")


def states():
    for i, (_, subject_fr, _, form) in enumerate(SUBJECTS):
        for adjective_en, *forms in ADJECTIVES:
            adjective_fr = forms[["m", "f", "mp", "fp"].index(form)]
            yield (f"{BE[0][i]} {adjective_en}.",
                   capitalized(subject_fr) + f" {BE[1][i]} {adjective_fr}.")
            yield (f"{BE[0][i]} not {adjective_en}.",
                   capitalized(subject_fr) + f" {elide('ne', BE[1][i])}{BE[1][i]} pas "
                   f"{adjective_fr}.")


def places():
    for animal in ANIMALS:
        animal_en, animal_fr = definite(animal)
        for room_en, room_fr, gender in ROOMS:
            room_fr = ("le " if gender == "m" else "la ") + room_fr
            for preposition_en, preposition_fr in PLACES:
                if preposition_en == "under" and room_en not in ("car", "box"):
                    continue
                yield (f"{capitalized(animal_en)} is {preposition_en} the {room_en}.",
                       f"{capitalized(animal_fr)} est {preposition_fr} {room_fr}.")


def french_punctuation(french):
    """A narrow no-break space before ! and ?, as fra.txt writes French."""
    return french.replace(" !", NNBSP + "!").replace(" ?", NNBSP + "?")


def corpus():
    pairs = list(PHRASES)
    for make in (affirmative, negative, questions, counting, states, places):
        pairs.extend(make())
    pairs = [(english, french_punctuation(french)) for english, french in pairs]
    unique = sorted(set(pairs), key=lambda pair: (len(pair[0]), pair[0], pair[1]))
    return unique


def main():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fra-eng-small.txt")
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for english, french in corpus():
            f.write(f"{english}\t{french}\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
