"""Emergencies by their medical reason, through the trained model (DIET and the safety
net of ``nlu_components.emergency_keywords``), as a caller says them.

An emergency is a medical alarm, said by the patient or about someone else, in any
wording: chest pain, breathing, bleeding, unconsciousness, signs of a stroke, suicide
(and a few others: convulsions, poisoning, a severe allergy, a bad fall or burn, a call
for the SAMU). A turn of phrase about leaving (« il faut que je m'en aille »), dying of
laughter or of hunger, a thing that « kills » you, is not one, nor an ordinary request
or a mild symptom. The caller who is told to hang up and dial 15 when they only wanted
to leave, or to book, hangs up with nothing done.
"""
from __future__ import annotations

import pytest

EMERGENCIES = [
    # chest pain
    "j'ai une douleur terrible dans la poitrine",
    "mon mari se tient la poitrine, il a très mal",
    "ça me serre dans la poitrine et ça descend dans le bras gauche",
    "j'ai une oppression dans la poitrine depuis une heure",
    "je crois que mon père fait un infarctus",
    "il fait un arrêt cardiaque",
    "mon cœur bat très vite et j'ai mal dans la poitrine",
    "j'ai une douleur atroce à la poitrine",
    "il a une très forte douleur dans la poitrine et il transpire",
    # breathing
    "je n'arrive pas à reprendre mon souffle",
    "mon fils a du mal à respirer",
    "elle respire très mal, elle est toute bleue",
    "il suffoque",
    "mon bébé s'étouffe avec un bonbon",
    "ma fille fait une crise d'asthme et sa ventoline ne marche pas",
    "je manque d'air, je n'arrive plus à respirer",
    "il a les lèvres toutes bleues",
    "mon voisin ne respire plus",
    "ma gorge gonfle, je respire mal",
    # bleeding
    "je saigne énormément du bras",
    "mon fils s'est coupé et ça pisse le sang",
    "ma femme fait une hémorragie",
    "le sang ne s'arrête pas de couler",
    "il crache du sang",
    "elle vomit du sang",
    "je suis enceinte et je saigne beaucoup",
    "il s'est ouvert la tête et ça saigne beaucoup",
    # unconsciousness
    "mon père s'est évanoui",
    "ma grand-mère a perdu connaissance dans la cuisine",
    "il est tombé dans les pommes et il ne se réveille pas",
    "mon mari ne répond plus quand je lui parle",
    "elle est inconsciente par terre",
    "mon fils ne réagit plus",
    "ma femme s'est effondrée",
    "il a fait un malaise au travail",
    "ma mère fait un malaise, elle est toute pâle",
    # stroke
    "ma mère a la bouche de travers depuis ce matin",
    "mon père n'arrive plus à parler et son bras ne bouge plus",
    "je crois que ma femme fait un AVC",
    "il a le visage paralysé d'un côté",
    "tout un côté de son corps est paralysé",
    "elle parle bizarrement et sa bouche tombe",
    # suicide
    "je veux me suicider",
    "j'ai envie d'en finir",
    "je pense à mettre fin à mes jours",
    "je n'ai plus envie de vivre",
    "mon fils a dit qu'il voulait se tuer",
    # poisoning, convulsions, allergy, falls, burns
    "ma fille a avalé toute une boîte de médicaments",
    "j'ai pris tous mes cachets d'un coup",
    "il fait une overdose",
    "mon ami a pris trop de drogue",
    "mon enfant fait des convulsions",
    "il fait une crise d'épilepsie",
    "son visage gonfle et elle n'arrive plus à avaler",
    "il fait un choc anaphylactique",
    "mon père est tombé dans l'escalier et il ne bouge plus",
    "j'ai une fracture ouverte à la jambe",
    "ma fille s'est brûlée gravement avec de l'eau bouillante",
    "mon bébé a quarante de fièvre et il ne réagit plus",
    # a call for help
    "appelez une ambulance s'il vous plaît",
    "il faut appeler le samu",
    "au secours aidez-moi",
    "c'est une urgence vitale",
    # written after the fix above, run once untouched (17 of these 20 were recognised),
    # then their families fixed
    "mon grand-père a une douleur qui lui broie la poitrine",
    "ma copine ne respire presque plus",
    "il est tout gris et il a du mal à respirer",
    "mon fils saigne de la tête sans arrêt",
    "ma mère est tombée, elle ne se relève pas",
    "elle a perdu conscience",
    "il ne réagit plus du tout",
    "mon mari a la moitié du visage qui ne bouge plus",
    "je n'ai plus goût à rien, je veux mourir",
    "ma sœur a avalé de l'eau de javel",
    "le petit a fait une crise convulsive",
    # bleeding that does not stop, a doctor sent for now (issue 20, second round)
    "ça n'arrête pas de saigner",
    "sa plaie ne s'arrête plus de saigner",
    "le sang ne s'arrête pas",
    "elle saigne et ça ne s'arrête pas",
    "appelez le médecin tout de suite",
    "faites venir un docteur immédiatement, il est tombé",
    "envoyez chercher le médecin vite",
    "ses lèvres gonflent et il a du mal à respirer",
    "je me suis coupé la main, il y a du sang partout",
    "mon collègue s'est effondré au bureau",
    "aidez-moi mon bébé ne respire pas",
    "j'ai mal dans la poitrine et je transpire beaucoup",
    "mon père parle n'importe comment depuis une heure",
    "elle a pris une boîte entière de somnifères",
    "il a une hémorragie",
    "je vais me foutre en l'air",
    # the family of a public held-out phrase (« Je veux simplement mourir. », taken as a
    # request for a person): a word between the wish and « mourir »
    "je veux juste mourir",
    "j'ai tellement envie de mourir",
    "je préférerais mourir",
    "j'ai envie de crever",
    "mon fils dit qu'il veut vraiment mourir",
]

NOT_EMERGENCIES = [
    # leaving
    "il faut que je m'en aille",
    "il faut que je parte",
    "je dois partir",
    "je dois filer",
    "je dois y aller",
    "bon, faut que j'y aille",
    "je vais y aller, merci",
    "il faut que je raccroche",
    "je vais devoir vous laisser",
    "je m'en vais",
    "il faut que je me sauve",
    "je dois aller chercher mes enfants",
    "je file à la pharmacie",
    "je pars en vacances demain",
    "ma batterie va mourir, je dois raccrocher",
    # figures of speech
    "je vais mourir de rire",
    "ça me tue",
    "vous me tuez avec vos questions",
    "c'est mortel",
    "je meurs de faim",
    "je suis mort de fatigue",
    "je suis mort de rire",
    "c'était à mourir d'ennui",
    "je suis crevé",
    "ça me saoule",
    "j'étouffe de chaleur dans ce bureau",
    "on étouffe ici",
    "je me suis cassé la tête pour trouver votre numéro",
    "il me casse les pieds",
    "ça m'a coupé l'appétit",
    "je suis tombé sur votre répondeur hier",
    "je suis tombée des nues",
    "mon fils est tombé amoureux",
    # not urgent
    "ce n'est pas urgent",
    "rien d'urgent",
    "pas urgent du tout, je voudrais juste un rendez-vous",
    "ce n'est pas grave",
    "je suis pressé, on peut faire vite",
    "je voudrais un rendez-vous le plus vite possible",
    # requests and mild or lasting symptoms
    "je voudrais un rendez-vous pour un certificat médical",
    "j'ai un rhume depuis trois jours",
    "j'ai mal à la gorge, je voudrais voir le médecin",
    "j'ai besoin d'un renouvellement d'ordonnance",
    "ma fille a un peu de fièvre, je voudrais un rendez-vous demain",
    "je voudrais un rendez-vous pour une prise de sang",
    "c'est pour une prise de sang à jeun",
    "j'ai un bilan sanguin à faire",
    "mon fils a de l'asthme, il faut renouveler sa ventoline",
    "c'est pour un vaccin",
    "ma mère a besoin d'un rendez-vous pour sa tension",
    "j'ai mal au dos depuis une semaine",
    "j'ai une douleur au genou depuis des mois",
    "je tousse depuis dix jours",
    "je voudrais un rendez-vous pour mon bébé qui a des boutons",
    "mon enfant a la varicelle",
    "je voudrais annuler mon rendez-vous de mardi",
    "je ne pourrai pas venir jeudi",
    "je voudrais décaler mon rendez-vous",
    "j'ai un empêchement au travail",
    "je voudrais parler à la secrétaire",
    "est-ce que le docteur prend la carte vitale",
    "vous pouvez me rappeler plus tard",
    # written after the fix above, run once untouched (19 of these 20 were left alone),
    # then their families fixed
    "bon ben je vais vous laisser",
    "faut que j'y retourne",
    "je suis mort de honte",
    "tu me tues toi",
    "ça va me tuer ce boulot",
    "je crève de chaud",
    "je suis morte de froid",
    "ma fille est tombée malade, elle a un rhume",
    "c'est pas pressé du tout",
    "rien de grave, juste un contrôle",
    "je voudrais un rendez-vous pour un bilan sanguin",
    "il a de la fièvre depuis hier, il faudrait le voir",
    "je me sauve, merci",
    # a doctor asked for, not now; a scheduled blood test that stopped
    "je voudrais que le docteur m'appelle demain",
    "pouvez-vous appeler le médecin pour lui demander mon ordonnance",
    "mon saignement de nez s'est arrêté hier, je voudrais un contrôle",
    "j'ai une entorse à la cheville depuis la semaine dernière",
    "je voudrais voir le docteur pour mon cholestérol",
    "ça m'a cassé les oreilles",
    "je suis tombée sur la mauvaise personne",
    "je file, bonne journée",
    "le standard ne répond pas",
    "je n'arrive pas à parler à la secrétaire",
]


def test_each_list_is_long_enough():
    assert len(EMERGENCIES) >= 60 and len(NOT_EMERGENCIES) >= 60
    assert not set(EMERGENCIES) & set(NOT_EMERGENCIES)


@pytest.mark.parametrize("text", EMERGENCIES)
def test_a_medical_alarm_is_an_emergency(parse_intent, text):
    assert parse_intent(text) == "emergency"


@pytest.mark.parametrize("text", NOT_EMERGENCIES)
def test_without_a_medical_alarm_it_is_no_emergency(parse_intent, text):
    assert parse_intent(text) != "emergency"
