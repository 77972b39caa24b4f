"""The words the boundary decision reads (boundary.py), per language: those that cannot end a
sentence, and the exceptions that make one of them complete after all.

English was tuned on what tiny.en writes for sentences cut at a thinking pause and for finished
ones (bench/boundary.py). French, Spanish and German follow the same plan from their grammar:
a word is listed only when it almost never ends a sentence, and left out when it often does as
something else (German separable particles "Ich rufe dich an.", French "Ça va.", Spanish "Así
es."), since a wrong hold costs a second and a missed one splits a sentence no worse than no
rule at all. A language without a list here reads no words (:data:`OFF`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

_EN_WORD = r"[^\W_]+(?:['’][^\W_]+)*"
_FR_WORD = r"[^\W_]+(?:-[^\W_]+)*"  # "d'un" is "d" "un"; "dis-le", "peut-être" one word


@dataclass(frozen=True)
class Words:
    articles: frozenset[str] = frozenset()
    conjunctions: frozenset[str] = frozenset()
    subordinators: frozenset[str] = frozenset()
    prepositions: frozenset[str] = frozenset()
    auxiliaries: frozenset[str] = frozenset()
    pronouns: frozenset[str] = frozenset()
    """Pronouns that always have a verb after them (French "je", Spanish "me")."""
    hesitations: frozenset[str] = frozenset()
    hedges: frozenset[str] = frozenset()
    openers: frozenset[str] = frozenset()
    ends_after: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """A listed word that is complete after one of these ("for a while")."""
    ends_near: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """… or after one of these among the three words before it (French "j'en ai un")."""
    clause_word: str = ""
    """A pronoun that ends sentences but opens a clause after :attr:`clause_opens_after`."""
    clause_opens_after: frozenset[str] = frozenset()
    subjects: frozenset[str] = frozenset()
    ellipsis_after: frozenset[str] = frozenset()
    """SUBJECT + AUXILIARY after one of these is a whole clause ("Yes, I can.")."""
    bare_ellipsis: bool = False
    """… and so is the auxiliary right after one (Spanish drops the subject: "si puedes")."""
    clitics: frozenset[str] = frozenset()
    """Object pronouns between the subject and the auxiliary ("si tu le veux")."""
    copulas: frozenset[str] = frozenset()
    wh_words: frozenset[str] = frozenset()
    continuers: frozenset[str] = frozenset()
    """Words that seldom start a sentence: an utterance starting with one goes on."""
    stranders: frozenset[str] = frozenset()
    contractions: tuple[str, ...] = ()
    not_names: frozenset[str] = frozenset()
    """Words with a capital mid-sentence that are no name: English "I"."""
    question_ends: frozenset[str] = frozenset()
    """Listed words a question may end with ("Tu pars quand ?")."""
    verb_final: frozenset[str] = frozenset()
    """German: an auxiliary ends a clause opened by one of these, or after a comma."""
    word: str = _EN_WORD
    known: bool = True
    """False: a language without lists; nothing is read from its words."""

    @property
    def pattern(self) -> re.Pattern[str]:
        return _compiled(self.word)


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# --- English (the lists tuned on tiny.en, bench/boundary.md) ---------------------------------

ARTICLES = _set("a an the my your our their its every")
CONJUNCTIONS = _set("and but or nor plus than so because cause whereas although")
SUBORDINATORS = _set("if whether unless when while which who whom whose where until till "
                     "whenever wherever")
# Words that often end a sentence as a particle or adverb ("log in", "turn it off", "seen
# it before") are left out.
PREPOSITIONS = _set("of to for with from about at into onto as between among towards toward "
                    "during via per upon including regarding despite unlike like")
AUXILIARIES = _set("is are was were am be been will would can could should shall must might "
                   "may has have had do does did")
HESITATIONS = _set("um uh er erm ah eh hmm mm")
HEDGES = _set("maybe perhaps probably possibly also just actually really basically even still")
OPENERS = _set("if when although though because unless whenever while once since before "
               "after until")
_WHICH = _set("know knew sure wonder ask asked matter care tell decide decided remember see "
              "idea")
ENDS_AFTER = {
    "while": _set("a little the good short long worth"),
    "so": _set("think thought hope hoped guess believe suppose say said says told do did "
               "does not seems seem afraid imagine expect fear even why or and"),
    "which": _WHICH, "who": _WHICH, "whom": _WHICH, "where": _WHICH,
    "when": _WHICH | {"since", "until", "say", "me"},
}
# "that" ends many sentences as a pronoun ("I didn't know that."); after these it opens a
# clause that has not come yet.
THAT_OPENS_AFTER = _set("so such now given except provided assuming thinking hoping saying "
                        "suggesting realising realizing believe means mean sure is was think "
                        "thought said says")
# Before "PRONOUN + AUXILIARY" at the end, these make it an ellipsis that is complete:
# "That is what it is.", "Yes, I can.", "bigger than it was".
ELLIPSIS_AFTER = _set("yes yeah yep no nope well oh okay ok sure course what who where when "
                      "how why whatever than as if whether that because")
COPULAS = _set("is are was were am")
WH_WORDS = _set("what whatever where wherever how however who whoever when whenever than")
SUBJECTS = _set("i you he she it we they there that this one who which")
# "So", "because", "for" and most prepositions start sentences often, and are left out.
CONTINUERS = _set("and or nor but plus than whereas of")
# A preposition after one of these is stranded by the clause it opens, and ends it: "what
# it's for", "the one which I spoke of", "faster than it used to".
STRANDERS = _set("what which who whom where whatever than")

ENGLISH = Words(
    ARTICLES, CONJUNCTIONS, SUBORDINATORS, PREPOSITIONS, AUXILIARIES, frozenset(),
    HESITATIONS, HEDGES, OPENERS, ENDS_AFTER, clause_word="that",
    clause_opens_after=THAT_OPENS_AFTER, subjects=SUBJECTS, ellipsis_after=ELLIPSIS_AFTER,
    copulas=COPULAS, wh_words=WH_WORDS, continuers=CONTINUERS, stranders=STRANDERS,
    contractions=("s", "re", "ve", "ll", "d", "m"), not_names=frozenset({"i"}))

OFF = Words(known=False)

# --- French ---------------------------------------------------------------------------------
# Elisions are cut ("j'en ai un" is "j en ai un"), hyphens kept ("dis-le" ends complete).

_FR_KNOW = _set("sais savoir sait savez savons importe demande demandez dis dire vois voir "
                "idée pas plus depuis jusqu")
_FR_HAVE = _set("y en")  # "il y a", "j'en ai"
FRENCH = Words(
    articles=_set("le la les un une des du au aux mon ma mes ton ta tes son sa ses notre nos "
                  "votre vos leur leurs ce cet cette ces chaque"),
    conjunctions=_set("et ou mais ni car voire est-à-dire"),  # "c'est-à-dire"
    subordinators=_set("que qu si quand lorsque lorsqu puisque puisqu quoique dont où qui "
                       "parce"),
    # Not "contre", "après", "avant", "depuis": they end sentences as adverbs.
    prepositions=_set("à de en pour avec sans sur sous dans chez vers par entre pendant selon "
                      "parmi malgré envers jusqu"),
    # Not "vais", "va", "vont": "J'y vais.", "Ça va.", "Je m'en vais." are whole.
    auxiliaries=_set("ai as a avons avez ont suis es est sommes êtes sont était étaient avait "
                     "avaient sera seront serait seraient aura auront aurait auraient peux "
                     "peut pouvons pouvez peuvent pourrait pourraient dois doit devons devez "
                     "doivent devrait devraient veux veut voulons voulez veulent voudrais "
                     "voudrait faut"),
    pronouns=_set("je j tu il ils on ne n me m te t se s y"),
    hesitations=_set("euh heu hum hmm mmh bah"),
    hedges=_set("aussi juste vraiment encore probablement peut-être sûrement plutôt déjà "
                "simplement"),
    openers=_set("si lorsque lorsqu puisque puisqu quoique parce"),
    ends_after={"si": _set("que mais oh ah ben bien"), "qui": _FR_KNOW, "où": _FR_KNOW,
                "quand": _FR_KNOW, "a": _FR_HAVE, "ai": _FR_HAVE, "as": _FR_HAVE,
                "ont": _FR_HAVE, "avons": _FR_HAVE, "avez": _FR_HAVE,
                "un": _set("quelqu l numéro page chapitre article"),
                "une": _set("quelqu l la numéro page")},
    ends_near={"un": _set("en"), "une": _set("en")},  # "j'en ai un", "il y en a une"
    subjects=_set("je j tu il elle on nous vous ils elles c ce ça cela"),
    ellipsis_after=_set("si comme oui non que qu quand où ce mieux plus moins autant tant "
                        "lorsque puisque pourquoi comment quoi bien voilà"),
    clitics=_set("le la les l lui leur y en me m te t se s"),
    continuers=_set("et ou mais ni dont car"),
    question_ends=_set("qui où quand quoi combien pourquoi comment"),  # "Tu pars quand ?"
    word=_FR_WORD)

# --- Spanish --------------------------------------------------------------------------------
# The accent tells the question words ("qué", "cuándo", "dónde") from the subordinators.

_ES_CLITICS = _set("me te se lo la le nos os los las les")
SPANISH = Words(
    articles=_set("el la los las un una unos unas del al mi mis tu tus su sus nuestro nuestra "
                  "nuestros nuestras vuestro vuestra vuestros vuestras cada"),
    conjunctions=_set("y e o u ni pero sino porque aunque"),
    subordinators=_set("que si cuando donde mientras cual quien cuyo cuya cuyos cuyas"),
    # Not "bajo": an adjective too ("Es muy bajo.").
    prepositions=_set("a de en con por para sin sobre entre hacia hasta desde durante según "
                      "contra mediante tras ante"),
    # Not estar, tener or ir: "Ya está.", "Lo tengo.", "Ya voy." are whole.
    auxiliaries=_set("he has ha hemos habéis han había habías habíamos habían es son era eran "
                     "fue fueron será serán sería puedo puedes puede podemos pueden podría "
                     "quiero quieres quiere queremos quieren debo debes debe debemos deben"),
    pronouns=_ES_CLITICS - {"la", "los", "las"},  # those are articles too
    hesitations=_set("eh em ehm mmm mm"),
    hedges=_set("también quizás quizá probablemente realmente incluso todavía aún solo sólo "
                "ya"),
    openers=_set("si cuando aunque mientras"),
    ends_after={"cuando": _set("en"),  # "de vez en cuando"
                "si": _set("que pues claro eso como"), "una": _set("la"),  # "es la una"
                "sobre": _set("el un este ese del al")},  # the envelope
    subjects=_set("yo tú él ella usted nosotros nosotras vosotros vosotras ellos ellas "
                  "ustedes esto eso"),
    ellipsis_after=_set("si como que cuando donde así eso esto aquello no sí ya también "
                        "tampoco claro cual quien"),  # "así es", "si puedes", "no lo es"
    bare_ellipsis=True, clitics=_ES_CLITICS,
    continuers=_set("y e o u ni pero sino"))

# --- German ---------------------------------------------------------------------------------
# A subordinate clause ends with its verb ("…, dass es funktioniert hat."), so an auxiliary
# ends a sentence after a comma or a subordinator; in a main clause it stands second.

_DE_ARTICLES = _set("der den dem des die eine einen einem einer eines kein keine keinen "
                    "keinem keiner keines mein meine meinen meinem meiner meines dein deine "
                    "deinen deinem deiner deines seine seinen seinem seiner seines ihre ihren "
                    "ihrem ihrer ihres unser unsere unseren unserem unserer unseres eure euren "
                    "eurem eurer eures")
GERMAN = Words(
    # Not "ein" (a separable particle: "Steig ein."), "das", "sein" or "ihr" (pronouns).
    articles=_DE_ARTICLES,
    conjunctions=_set("und oder aber sondern sowie beziehungsweise bzw als"),
    subordinators=_set("dass weil ob wenn falls obwohl obgleich bevor nachdem sodass sobald "
                       "solange während deren dessen"),
    # Not "an", "auf", "aus", "mit", "nach", "vor", "zu", "ab", "um", "durch": separable
    # particles end main clauses ("Ich rufe dich an.", "Kommst du mit?").
    prepositions=_set("in im ins für von vom bei beim zum zur zwischen gegen ohne wegen trotz "
                      "seit bis über unter"),
    # Finite forms only: an infinitive ends a sentence after a modal ("Das kann sein.").
    auxiliaries=_set("bin bist ist sind seid war warst waren wart habe hab hast hat habt hatte "
                     "hattest hatten wird wirst werde werdet wurde wurden kann kannst könnt "
                     "konnte konnten muss musst müsst musste mussten soll sollst sollt sollte "
                     "sollten will willst wollt wollte wollten darf darfst dürft durfte möchte "
                     "möchtest möchten würde würdest würden wäre wären hätte hätten"),
    hesitations=_set("äh ähm öhm hm hmm mhm eh"),
    hedges=_set("vielleicht wahrscheinlich auch nur eigentlich halt eben wohl noch schon "
                "sogar"),
    openers=_set("wenn falls obwohl weil nachdem bevor sobald ob dass"),
    continuers=_set("und oder aber sondern sowie beziehungsweise bzw"),
    # Spoken German asks with a demonstrative: "Kennst du die?", "Hast du einen?"
    question_ends=_set("der die den dem eine einen einer eines keine keinen wenn"),
    verb_final=_set("dass weil ob wenn falls obwohl obgleich bevor nachdem sodass sobald "
                    "solange während als wie was wo wer wann warum wieso weshalb welche "
                    "welcher welches deren dessen damit seit seitdem bis"))

WORDS: Mapping[str, Words] = {"en": ENGLISH, "fr": FRENCH, "es": SPANISH, "de": GERMAN}
