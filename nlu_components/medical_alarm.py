"""What makes a French sentence a medical emergency: its alarm signs, in families.

An emergency is said in many ways, by the patient or about someone else; what they
share is the medical reason, not the wording. Each family below lists the ways a
caller says one alarm sign (chest pain, breathing, bleeding, unconsciousness, signs of
a stroke, suicide, poisoning, convulsions, a severe allergy, a serious injury, a call
for help), so that a fix covers the family, not one example.

The same words are used figuratively (« mourir de rire », « ça me tue », « on étouffe
ici », « il me casse les pieds », « je suis tombée des nues »): :func:`literal` removes
those turns of phrase first, then:

* :func:`alarm_sign` finds an unambiguous alarm sign (the emergency safety net);
* :func:`medical_reason` also accepts the broader medical words (blood, breathing, a
  fall, a fever, a burn…) that make an emergency plausible: without any of them, a
  sentence is no emergency, whatever a classifier thought.
"""
from __future__ import annotations

import re
from typing import Iterable, Optional

_DET = r"(?:le|la|les|l'|sa|son|ses|ma|mon|mes|ta|ton|tes|leur|leurs|un|une|des|du)"
_BODY_PART = (
    # not « la tête » nor « les pieds »: « je me suis cassé la tête » (I racked my
    # brains), « il m'a cassé les pieds » (he annoyed me)
    r"(?:jambes?|bras|poignets?|chevilles?|hanches?|cou|dos|nez|côtes?|mains?|pied|"
    r"genoux?|épaules?|clavicules?|fémur|bassin|crâne|mâchoire|doigts?|orteils?)"
)
_NO_LONGER = r"(?:ne |n')?(?:\w+ )?(?:plus|pas|mal|difficilement|très mal)"
# Someone the caller speaks of (a lost person, not a telephone switchboard).
_PERSON = (
    r"(?:il|elle|ils|elles|(?:mon|ma|mes|notre|nos|son|sa|ses|le|la|l'|un|une) ?"
    r"(?:mari|femme|épouse|époux|père|mère|papa|maman|fils|fille|bébé|enfant|petit|petite|"
    r"grand-père|grand-mère|grand-\w+|ami|amie|voisin|voisine|frère|sœur|soeur|copain|copine|"
    r"conjoint|conjointe|compagnon|compagne|oncle|tante|cousin|cousine|collègue|patient|"
    r"patiente|monsieur|dame))"
)

ALARM_FAMILIES = {
    "chest pain": (
        r"(?:douleurs?|mal|serre\w*|serrement|oppression|poids|brûlures?|pointe)"
        r"(?: \w+){0,3} (?:dans|à|a|sur|au milieu de) (?:la|sa|ma|leur) poitrine",
        r"(?:douleur|oppression) thoracique",
        r"infarctus", r"crise cardiaque", r"arrêt cardiaque",
        r"(?:cœur|coeur) (?:s'est |qui s'est )?arrêté",
    ),
    "breathing": (
        r"(?:respire|respires|respirons|respirez|respirent|respirait) " + _NO_LONGER,
        r"(?:plus|pas|mal|du mal|de la peine|difficultés?|difficilement) (?:à |a )?respirer",
        r"(?:pas|plus) (?:à )?(?:reprendre|retrouver) (?:mon|son|sa|leur|ma) "
        r"(?:souffle|respiration)",
        r"manque d'air", r"suffoqu\w*", r"étouff\w*", r"s'étrangl\w*",
        r"lèvres (?:toutes? )?bleues", r"(?:tout|toute) bleue?s?\b",
        r"crise d'asthme",
    ),
    "bleeding": (
        r"saign\w* (?:beaucoup|énormément|abondamment|fort|sans arrêt|partout|du nez "
        r"sans arrêt|de partout)",
        r"hémorragi\w*",
        r"(?:crache|crach\w+|vomi\w*|perd\w*|pisse|pissait|rend\w*) (?:du|le|beaucoup de|"
        r"plein de) sang",
        r"sang (?:partout|ne s'arrête|qui ne s'arrête|qui coule)",
        r"(?:plein|beaucoup|flaque|mare) de sang",
        r"(?:ne s'arrêt\w*|n'arrêt\w*|n'arrive \w+ à arrêter) (?:pas|plus)? ?de saigner",
        r"(?:saign\w*|sang)(?: \w+){0,3} (?:ne s'arrête|n'arrête) (?:pas|plus)",
    ),
    "unconsciousness": (
        r"inconscient\w*", r"évanou\w*", r"perd\w* (?:connaissance|conscience)",
        r"tomb\w* dans les pommes", r"(?:ne se|ne me|ne te) réveill\w* (?:pas|plus)",
        _PERSON + r" ne (?:répond|réagit|bouge|se relève) (?:plus|pas)\b",
        r"s'est effondrée?", r"(?:fait|fais|faire|ai fait|a fait|fasse) un malaise",
        r"(?:je )?me sens partir",
    ),
    "stroke": (
        r"avc", r"accident vasculaire",
        r"(?:bouche|visage|lèvre|joue) (?:\w+ )?(?:de travers|tordue?|qui tombe|tombe)",
        r"paralys\w*",
        r"(?:n'arrive|n'arrivent|ne peut|ne peux|ne sait) plus (?:à )?parler(?! à| au| avec)",
        r"parle (?:bizarrement|de travers|n'importe comment)",
        r"(?:bras|jambe|main|visage|bouche|côté)(?: \w+){0,2} ne (?:bouge|répond) plus",
    ),
    "suicide": (
        r"suicid\w*",
        r"(?:envie d'|veu\w* |voudrai\w* |vais |va |pens\w* à )en finir"
        r"(?! avec (?:ce|cette|ça|le|la|les|mon|ma|mes|vos|votre))",
        r"mettre fin à (?:mes|ses|tes|leurs|ces) jours",
        # « je veux mourir », and with a word between: « je veux simplement mourir »,
        # « j'ai tellement envie de mourir », « je préférerais mourir »
        r"(?:envie|veux|voulais|voulait|veut|vouloir|voudrais|aimerais|préfère|préférerais)"
        r"(?: (?:juste|simplement|seulement|vraiment|tellement|bien|plutôt|rien que))?"
        r" (?:de )?(?:mourir|crever|disparaître pour de bon)",
        r"(?:tellement |vraiment )?envie de (?:mourir|crever)",
        r"plus envie de vivre", r"(?:me|se|te) tuer",
        r"(?:me|se|te) (?:foutre|ficher) en l'air", r"(?:me|se|te) (?:pendre|flinguer)",
        r"(?:sauter|me jeter|se jeter) (?:par la fenêtre|sous un train|du pont)",
    ),
    "poisoning": (
        r"overdose", r"surdose",
        r"(?:avalé|pris|prendre) (?:toute une boîte|toute la boîte|une boîte entière|toute "
        r"la plaquette|trop|plein) (?:de |des |mes |ses |les )?(?:médicaments|cachets|"
        r"comprimés|pilules|drogue|somnifères)",
        r"(?:avalé|pris) (?:tous|toutes) (?:mes|ses|les|leurs) (?:médicaments|cachets|"
        r"comprimés|pilules|somnifères) (?:d'un (?:seul )?coup|en même temps|à la fois)",
        r"trop de (?:drogue|médicaments|cachets|comprimés|somnifères)",
        r"avalé (?:des|plein de|un tube de|une plaquette de) (?:médicaments|cachets|"
        r"comprimés|pilules|somnifères)",
        r"(?:avalé|bu) (?:de l'|du |de la )?(?:eau de javel|javel|produit ménager|"
        r"détergent|poison|désherbant)",
    ),
    "convulsions": (r"convuls\w*", r"crise d'épilepsie", r"crise convulsive"),
    "severe allergy": (
        r"choc anaphylactique", r"(?:œdème|oedème) de quincke",
        r"(?:visage|gorge|langue|lèvres|bouche) (?:\w+ )?(?:qui )?gonfl\w*",
    ),
    "serious injury": (
        r"cassée?s? " + _DET + r" ?" + _BODY_PART,
        r"fracture ouverte",
        r"(?:brûlée?s? (?:gravement|grièvement|au troisième degré))|(?:gravement|grièvement) "
        r"brûlée?s?",
        r"(?:ne bouge plus|ne se relève pas) après (?:une|sa) chute",
    ),
    "call for help": (
        r"au secours", r"à l'aide(?! d)", r"ambulance", r"samu", r"pompiers",
        r"urgence vitale", r"appel\w* le (?:15|quinze|112)",
        r"urgen(?:t|te|ce|ces)\b",
        # a doctor called or sent for now (« appelez un médecin immédiatement »,
        # « faites venir le docteur tout de suite »): not « je voudrais voir le médecin »
        r"(?:appel\w*|fai\w* venir|envoy\w* (?:chercher|quelqu'un chercher)|envoy\w*) "
        r"(?:un|le|une|la) (?:médecin|docteur|docteure)(?: \w+){0,3} "
        r"(?:immédiatement|tout de suite|vite|sur-le-champ|sur le champ|de toute urgence)",
    ),
}

# Words that make an emergency plausible without being one alone.
MEDICAL_CONTEXT = (
    r"sang", r"saign\w*", r"respir\w*", r"souffle", r"poitrine", r"cœur", r"coeur",
    r"malaise", r"tomb(?:é|ée|és|ées|er|e)\b", r"chute", r"bless\w*", r"brûl\w*",
    r"fièvre", r"convuls\w*", r"vomi\w*", r"gonfl\w*", r"bleue?s?\b", r"accident",
    r"coupée?s?\b", r"plaie", r"douleurs? (?:atroce|terrible|insupportable|très forte)",
    r"mourir", r"meurt", r"mort\b", r"urgences", r"médicaments", r"cachets",
    r"inconscient\w*", r"pâle", r"sueurs?", r"crise",
)

# Turns of phrase that use those words for something else; removed before matching.
FIGURES_OF_SPEECH = (
    r"(?:mourir|meurs|meurt|mourais|mourrai|mort|morte|morts) d(?:e |')(?:rire|faim|soif|"
    r"froid|chaud|chaleur|ennui|envie|peur|honte|fatigue|impatience)",
    r"à mourir d'ennui", r"c'est mortel",
    r"(?:ça|ca|cela|tu|vous|il|elle|ils|elles|on) (?:me|nous|m') ?tu(?:e|es|ez|ent)\b",
    r"(?:ça|ca|cela|ce \w+|cette \w+) (?:va|vont) (?:me|nous) tuer",
    r"(?:ma |la |sa )?batterie (?:va )?(?:mourir|meurt|est morte)",
    r"étouff\w* (?:de chaleur|de rire|ici|là-dedans|dans (?:ce|cette|le|la) \w+)",
    r"on étouffe", r"ça m'étouffe",
    r"cass\w* (?:la tête|les pieds|les oreilles)",
    r"coupé (?:l'appétit|la parole|le son|la ligne|la communication)",
    r"tomb\w* (?:des nues|amoureu\w*|sur \w+|dans le panneau|à pic|bien|mal|malade|"
    r"enceinte|en panne)",
    r"(?:pas|plus|sans|aucune|rien de) (?:très |si |du tout )?urgen\w*", r"rien d'urgen\w*",
    r"(?:pas|plus) (?:très |si )?urgent",
    r"prise de sang", r"bilan sanguin", r"analyse de sang", r"groupe sanguin",
    r"(?:ma|sa|une) crise de (?:nerfs|rire|foie)",
)


def _compile(patterns: Iterable[str]) -> "re.Pattern[str]":
    return re.compile(r"(?<!\w)(?:" + "|".join(patterns) + r")(?!\w)", re.IGNORECASE)


_ALARM = {family: _compile(patterns) for family, patterns in ALARM_FAMILIES.items()}
_CONTEXT = _compile(MEDICAL_CONTEXT)
_FIGURES = _compile(FIGURES_OF_SPEECH)


def literal(text: Optional[str]) -> str:
    """``text`` without its figurative turns of phrase (typographic apostrophes made
    straight)."""
    return _FIGURES.sub(" ", (text or "").replace("’", "'"))


def alarm_sign(text: Optional[str]) -> Optional[str]:
    """The family of the first unambiguous alarm sign of ``text``, or None."""
    plain = literal(text)
    for family, pattern in _ALARM.items():
        if pattern.search(plain):
            return family
    return None


def medical_reason(text: Optional[str]) -> bool:
    """Whether ``text`` says anything that makes an emergency plausible."""
    return alarm_sign(text) is not None or _CONTEXT.search(literal(text)) is not None
