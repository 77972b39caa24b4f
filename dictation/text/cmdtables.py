"""The built-in command tables, per language (ISO-639-1): the phrases and what they do, what
tiny.en hears for some of them, and the words after which a command word is a noun. English was
measured in bench/commands.md; French, Spanish and German take the words of the dictation
commands people already know from desktop and phone dictation (Dragon, Windows and Apple
dictation, Google Docs voice typing). dictation.text.cmdbuild makes a language's table of them.

Matching folds case, punctuation and accents ("À la ligne." is "a la ligne"), and a phrase
written with a hyphen also matches without it ("point-virgule", "point virgule"). Guard words
and compound nouns are compared with their accents: Spanish "él" (he) is no article, so "con
él, punto" and "con él punto" both end a sentence.
"""

from __future__ import annotations

from collections.abc import Mapping

# --- English --------------------------------------------------------------------------------

ENGLISH: Mapping[str, str] = {
    "period": ".", "full stop": ".", "comma": ",", "question mark": "?",
    "exclamation mark": "!", "exclamation point": "!", "colon": ":", "semicolon": ";",
    "new line": "newline", "new paragraph": "paragraph",
    "scratch that": "scratch", "delete that": "scratch",
}
ENGLISH_ALIASES: Mapping[str, str] = {"scratch mark": "scratch that",
                                      "delete mark": "delete that"}
"""tiny.en's mishearings of a command, matched as it while it is in the table but never put in
the prompt (that would teach the mishearing); a retraction counts only as an utterance of its
own, and nobody dictates "Scratch mark." alone (bench/commands.md)."""
ENGLISH_GUARDS = frozenset({
    "a", "an", "the", "this", "these", "those", "my", "your", "his", "her", "its", "our",
    "their", "every", "each", "no", "any", "another", "per"})
"""A command word right after one of these, with no punctuation between, is a noun ("only a
comma", "is the colon"): nobody dictates "the" and then a command (bench/commands.md)."""
ENGLISH_COMPOUNDS: Mapping[str, frozenset[str]] = {"period": frozenset({
    "trial", "grace", "notice", "waiting", "probation", "probationary", "billing",
    "reporting", "transition", "warranty", "incubation", "introductory", "coolingoff"})}
"""Nouns that make a compound with the command word after them: "…in the trial period." reads
exactly like "…from the trip period", the commonest way a command is said; only the noun tells
them apart. Like a guard word, it gives way to the model's punctuation ("on trial, period.")."""

# --- French ---------------------------------------------------------------------------------

FRENCH: Mapping[str, str] = {
    "virgule": ",", "point": ".", "point final": ".", "point d'interrogation": "?",
    "point d'exclamation": "!", "deux-points": ":", "point-virgule": ";",
    "points de suspension": "…",
    "à la ligne": "newline", "nouvelle ligne": "newline", "retour à la ligne": "newline",
    "nouveau paragraphe": "paragraph",
    "annule ça": "scratch", "efface ça": "scratch", "annuler ça": "scratch",
    "effacer ça": "scratch",
}
""""Point à la ligne", the classic of French dictation, is "point" then "à la ligne"."""
FRENCH_GUARDS = frozenset({
    "le", "la", "les", "un", "une", "des", "du", "au", "aux", "d'un", "d'une", "ce", "cet",
    "cette", "ces", "mon", "ma", "mes", "ton", "ta", "tes", "son", "sa", "ses", "notre", "nos",
    "votre", "vos", "leur", "leurs", "chaque", "quel", "quelle", "quels", "quelles", "aucun",
    "aucune"})
_ADJECTIVES_FR = {"bon", "mauvais", "seul", "même", "petit", "grand", "gros", "premier",
                  "dernier", "deuxième", "troisième", "tel", "certain", "quel"}
FRENCH_COMPOUNDS: Mapping[str, frozenset[str]] = {
    "point": frozenset({*_ADJECTIVES_FR, "à"}),  # "un bon point", "cuit à point"
    # "Il a marqué deux points." is no colon: a verb or a preposition counts the points.
    "deux-points": frozenset({
        "marqué", "gagné", "perdu", "obtenu", "a", "ai", "as", "avons", "avez", "ont",
        "avait", "de", "à", "sur", "avec", "que", "seulement", "plus", "moins", "ces"}),
}

# --- Spanish --------------------------------------------------------------------------------

SPANISH: Mapping[str, str] = {
    "coma": ",", "punto": ".", "punto y seguido": ".", "punto final": ".",
    "punto y aparte": ".\n\n",
    "signo de interrogación": "?", "cerrar signo de interrogación": "?",
    "cerrar interrogación": "?", "abrir signo de interrogación": "¿",
    "abrir interrogación": "¿",
    "signo de exclamación": "!", "cerrar signo de exclamación": "!",
    "cerrar exclamación": "!", "abrir signo de exclamación": "¡", "abrir exclamación": "¡",
    "dos puntos": ":", "punto y coma": ";", "puntos suspensivos": "…",
    "nueva línea": "newline", "nuevo párrafo": "paragraph",
    "borra eso": "scratch", "borrar eso": "scratch", "elimina eso": "scratch",
    "eliminar eso": "scratch",
}
"""A question said with "signo de interrogación" (or "cerrar…") gets its closing "?" only:
the opening "¿" belongs where the question began, which the words alone do not say (the model
often writes it itself); "abrir signo de interrogación" says it. "Punto y aparte" ends the
sentence and the paragraph: ".\\n\\n", an action only built-in tables have."""
SPANISH_GUARDS = frozenset({
    "el", "la", "los", "las", "un", "una", "unos", "unas", "del", "al", "este", "esta",
    "estos", "estas", "ese", "esa", "esos", "esas", "aquel", "aquella", "aquellos",
    "aquellas", "mi", "mis", "tu", "tus", "su", "sus", "nuestro", "nuestra", "nuestros",
    "nuestras", "vuestro", "vuestra", "vuestros", "vuestras", "cada", "otro", "otra",
    "ningún", "ninguna", "algún", "alguna", "cualquier"})
_CLITICS_ES = {"se", "lo", "le", "les", "me", "te", "nos", "os"}
SPANISH_COMPOUNDS: Mapping[str, frozenset[str]] = {
    # "a las tres en punto" (o'clock), "a punto", "hasta cierto punto", "buen punto".
    "punto": frozenset({"en", "a", "buen", "mal", "cierto", "tal", "qué", "mismo", "último",
                        "primer", "segundo", "tercer", "dicho", "gran"}),
    # "que coma" is the verb (comer), "en coma" the medical state.
    "coma": frozenset({"en", "que", "no", *_CLITICS_ES}),
    "dos puntos": frozenset({
        "con", "por", "de", "a", "ganó", "ganamos", "perdió", "perdimos", "sacó", "sacamos",
        "marcó", "sumó", "sumamos", "tiene", "tengo", "tenemos", "tienen", "más", "menos",
        "solo", "sólo"}),
}

# --- German ---------------------------------------------------------------------------------

GERMAN: Mapping[str, str] = {
    "Komma": ",", "Punkt": ".", "Fragezeichen": "?", "Ausrufezeichen": "!",
    "Ausrufungszeichen": "!", "Doppelpunkt": ":", "Semikolon": ";", "Strichpunkt": ";",
    "neue Zeile": "newline", "nächste Zeile": "newline", "Zeilenumbruch": "newline",
    "neuer Absatz": "paragraph",
    "lösche das": "scratch", "lösch das": "scratch", "streiche das": "scratch",
    "streich das": "scratch",
}
"""German writes its compounds as one word ("Doppelpunkt", "Ausgangspunkt"), so few command
words sit after a noun of their own; adjectives before "Punkt" are the compounds here."""
_DETERMINERS_DE = ("der", "den", "dem", "des", "die", "ein", "eine", "einen", "einem", "einer",
                   "eines", "kein", "keine", "keinen", "keinem", "keiner", "keines", "dieser",
                   "diese", "diesen", "diesem", "dieses", "jeder", "jede", "jeden", "jedem",
                   "jedes", "welcher", "welche", "welchen", "welchem", "welches", "beim", "vom",
                   "zum", "im", "am")
_POSSESSIVES_DE = {stem + end for stem in ("mein", "dein", "sein", "ihr", "unser", "eur")
                   for end in ("e", "en", "em", "er", "es")} | {"mein", "dein", "unser", "euer"}
GERMAN_GUARDS = frozenset({*_DETERMINERS_DE, *_POSSESSIVES_DE})
"""Not "das", "sein" or "ihr": they end sentences as a pronoun or a verb ("Ich weiß das
Punkt", "Das kann sein Punkt"); "das" guards only the neuter command words below."""
_NEUTER_DE = frozenset({"das"})
GERMAN_COMPOUNDS: Mapping[str, frozenset[str]] = {
    "Punkt": frozenset({
        f"{adjective}{end}" for adjective in (
            "wichtig", "wichtigst", "gut", "letzt", "nächst", "erst", "zweit", "dritt",
            "springend", "entscheidend", "kritisch", "wund", "tot", "höchst", "tiefst",
            "bestimmt", "gewiss", "schwach", "neuralgisch", "schwarz", "rot", "grün")
        for end in ("e", "er", "en")}),
    "Komma": _NEUTER_DE, "Fragezeichen": _NEUTER_DE, "Ausrufezeichen": _NEUTER_DE,
    "Ausrufungszeichen": _NEUTER_DE, "Semikolon": _NEUTER_DE,
}

# --- by language ----------------------------------------------------------------------------

BUILTIN: Mapping[str, Mapping[str, str]] = {"en": ENGLISH, "fr": FRENCH, "es": SPANISH,
                                            "de": GERMAN}
ALIASES: Mapping[str, Mapping[str, str]] = {"en": ENGLISH_ALIASES}
GUARDS: Mapping[str, frozenset[str]] = {"en": ENGLISH_GUARDS, "fr": FRENCH_GUARDS,
                                        "es": SPANISH_GUARDS, "de": GERMAN_GUARDS}
COMPOUNDS: Mapping[str, Mapping[str, frozenset[str]]] = {
    "en": ENGLISH_COMPOUNDS, "fr": FRENCH_COMPOUNDS, "es": SPANISH_COMPOUNDS,
    "de": GERMAN_COMPOUNDS}
