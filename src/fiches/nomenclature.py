"""Display labels for the French customs (DGDDI) nomenclatures.

These tables give the official French labels of the A129 product groups and of the
partner countries (as published in the DGDDI label files ``Libelle_A129.txt`` and
``Libelle_PAYS.txt``), short display labels for chart tiles, axes and Sankey nodes,
and a few real CPF4 rev. 2.1 codes and partner countries used by the embedded
synthetic sample generator. The data is literal: this module never reads the
customs files.
"""

from __future__ import annotations

import unicodedata
from functools import cache

from fiches.config import FONTS_DIR

__all__ = [
    "A129_LABELS",
    "A129_SHORT",
    "A129_SHORT_MAX",
    "COUNTRY_LABELS",
    "COUNTRY_SHORT",
    "COUNTRY_SHORT_MAX",
    "SAMPLE_CPF4",
    "SAMPLE_COUNTRIES",
    "a129_short",
    "country_short",
]

A129_SHORT_MAX = 28
"""Maximum length of a short A129 product label."""

COUNTRY_SHORT_MAX = 22
"""Maximum length of a short country name."""

A129_SHORT_MAX_EM = 14.1
"""Maximum width of a short A129 label shortened from an official one, in em of the bundled
Lato: as wide as the widest curated short label, so that a Sankey node label always fits beside
its band whatever the letters (28 capital W would not)."""

COUNTRY_SHORT_MAX_EM = 10.7
"""Maximum width of a short country name, in em: the balance chart's axis labels have 100 pt at 9 pt."""

_SPREADSHEET_LEAD = "=+-@"
"""A cell starting with one of these is a formula to a spreadsheet: never how a label starts."""

# fmt: off
A129_LABELS: dict[str, str] = {
    "A01Z": "Produits de la culture et de l’élevage",
    "A02Z": "Produits sylvicoles",
    "A03Z": "Produits de la pêche et de l'aquaculture",
    "B05Z": "Houille",
    "B06Z": "Hydrocarbures naturels",
    "B07Z": "Minerais métalliques",
    "B08Z": "Produits divers des industries extractives",
    "C10A": "Viande et produits à base de viande",
    "C10B": "Préparations et conserves à base de poisson et de produits de la pêche",
    "C10C": "Produits à base de fruits et légumes, y compris les jus",
    "C10D": "Huiles et graisses végétales et animales, tourteaux",
    "C10E": "Produits laitiers et glaces",
    "C10F": "Produits du travail des grains et produits amylacés",
    "C10G": "Produits de boulangerie-pâtisserie et pâtes alimentaires",
    "C10H": "Produits alimentaires divers",
    "C10K": "Aliments pour animaux",
    "C11Z": "Boissons",
    "C12Z": "Tabacs manufacturés",
    "C13Z": "Produits de l'industrie textile",
    "C14Z": "Articles d'habillement",
    "C15Z": "Cuir, bagages et chaussures",
    "C16Z": "Bois, articles en bois",
    "C17A": "Pâte à papier, papier et carton",
    "C17B": "Articles en papier ou en carton",
    "C18Z": "Matériel d’impression et de reproduction",
    "C19Z": "Produits pétroliers raffinés et coke",
    "C20A": "Produits chimiques de base, produits azotés, matières plastiques et caoutchouc synthétique",
    "C20B": "Parfums, cosmétiques et produits d’entretien",
    "C20C": "Produits chimiques divers",
    "C21Z": "Produits pharmaceutiques",
    "C22A": "Produits en caoutchouc",
    "C22B": "Produits en plastique",
    "C23A": "Verre et articles en verre",
    "C23B": "Matériaux de construction et produits minéraux divers",
    "C24A": "Produits sidérurgiques et de première transformation de l'acier",
    "C24B": "Métaux non ferreux",
    "C24C": "Produits de fonderie",
    "C25A": "Éléments en métal pour la construction",
    "C25B": "Produits de la chaudronnerie",
    "C25C": "Armes et munitions",
    "C25E": "Coutellerie, outillage, quincaillerie et ouvrages divers en métaux",
    "C26A": "Composants et cartes électroniques",
    "C26B": "Ordinateurs et équipements périphériques",
    "C26C": "Téléphones et équipements de communication",
    "C26D": "Produits électroniques grand public",
    "C26E": "Appareils de mesure, d'essai et de navigation\u00a0; articles d'horlogerie",
    "C26F": "Équipements électromédicaux de diagnostic et de traitement",
    "C26G": "Matériels optique et photographique ; supports magnétiques et optiques",
    "C27A": "Appareils ménagers",
    "C27B": "Matériel électrique",
    "C28A": "Machines et équipements d'usage général",
    "C28B": "Machines agricoles et forestières",
    "C28C": "Machines-outils",
    "C28D": "Machines diverses d'usage spécifique",
    "C29A": "Produits de la construction automobile",
    "C29B": "Équipements pour automobiles",
    "C30A": "Navires et bateaux",
    "C30B": "Matériel ferroviaire roulant",
    "C30C": "Produits de la construction aéronautique et spatiale",
    "C30D": "Véhicules militaires de combat",
    "C30E": "Cycles et motocycles",
    "C31Z": "Meubles",
    "C32A": "Articles de joaillerie et bijouterie, instruments de musique",
    "C32B": "Instruments à usage médical, optique et dentaire",
    "C32C": "Articles de sport, jeux et jouets\u00a0; produits manufacturés divers",
    "D35A": "Électricité",
    "D35B": "Gaz manufacturé",
    "E37Z": "Boues d'épuration et ordures ménagères",
    "E38Z": "Déchets industriels",
    "J58Z": "Produits de l’édition, logiciels",
    "J59Z": "CD et DVD enregistrés",
    "M71Z": "Plans et dessins techniques",
    "M74Z": "Plaques et films photographiques exposés",
    "R90Z": "Tableaux, gravures, sculptures",
    "R91Z": "Objets d’antiquité et de collection",
    "S96Z": "Cheveux bruts",
}
"""Official A129 (NA 2008) labels, as in the DGDDI file ``Libelle_A129.txt``."""

A129_SHORT: dict[str, str] = {
    "A01Z": "Agriculture et élevage",
    "A02Z": "Sylviculture",
    "A03Z": "Pêche et aquaculture",
    "B05Z": "Houille",
    "B06Z": "Pétrole brut et gaz naturel",
    "B07Z": "Minerais métalliques",
    "B08Z": "Autres produits extractifs",
    "C10A": "Viande",
    "C10B": "Conserves de poisson",
    "C10C": "Fruits et légumes préparés",
    "C10D": "Huiles et graisses",
    "C10E": "Produits laitiers",
    "C10F": "Farines et amidons",
    "C10G": "Boulangerie et pâtes",
    "C10H": "Produits alimentaires divers",
    "C10K": "Aliments pour animaux",
    "C11Z": "Boissons",
    "C12Z": "Tabac",
    "C13Z": "Textiles",
    "C14Z": "Habillement",
    "C15Z": "Cuir et chaussures",
    "C16Z": "Bois",
    "C17A": "Papier et carton",
    "C17B": "Articles en papier",
    "C18Z": "Impression et reproduction",
    "C19Z": "Produits pétroliers raffinés",
    "C20A": "Chimie de base et plastiques",
    "C20B": "Parfums, cosmétiques, savons",
    "C20C": "Autres produits chimiques",
    "C21Z": "Produits pharmaceutiques",
    "C22A": "Produits en caoutchouc",
    "C22B": "Produits en plastique",
    "C23A": "Verre",
    "C23B": "Matériaux de construction",
    "C24A": "Sidérurgie",
    "C24B": "Métaux non ferreux",
    "C24C": "Fonderie",
    "C25A": "Structures métalliques",
    "C25B": "Chaudronnerie",
    "C25C": "Armes et munitions",
    "C25E": "Outillage et quincaillerie",
    "C26A": "Composants électroniques",
    "C26B": "Ordinateurs",
    "C26C": "Équipements de communication",
    "C26D": "Électronique grand public",
    "C26E": "Mesure et horlogerie",
    "C26F": "Équipements électromédicaux",
    "C26G": "Optique et photographie",
    "C27A": "Électroménager",
    "C27B": "Matériel électrique",
    "C28A": "Machines d’usage général",
    "C28B": "Machines agricoles",
    "C28C": "Machines-outils",
    "C28D": "Machines d’usage spécifique",
    "C29A": "Automobiles",
    "C29B": "Équipements automobiles",
    "C30A": "Navires et bateaux",
    "C30B": "Matériel ferroviaire",
    "C30C": "Aéronautique et spatial",
    "C30D": "Véhicules militaires",
    "C30E": "Cycles et motocycles",
    "C31Z": "Meubles",
    "C32A": "Bijoux, instruments musicaux",
    "C32B": "Matériel médical et dentaire",
    "C32C": "Sport, jeux et jouets",
    "D35A": "Électricité",
    "D35B": "Gaz manufacturé",
    "E37Z": "Boues et ordures ménagères",
    "E38Z": "Déchets industriels",
    "J58Z": "Édition et logiciels",
    "J59Z": "CD et DVD enregistrés",
    "M71Z": "Plans et dessins techniques",
    "M74Z": "Plaques et films photo",
    "R90Z": "Œuvres d’art",
    "R91Z": "Antiquités et collections",
    "S96Z": "Cheveux bruts",
}
"""Short French A129 labels for charts (at most ``A129_SHORT_MAX`` characters, all distinct)."""

COUNTRY_LABELS: dict[str, str] = {
    "AD": "Andorre",
    "AE": "Emirats arabes unis",
    "AF": "Afghanistan",
    "AG": "Antigua-et-Barbuda",
    "AI": "Anguilla",
    "AL": "Albanie",
    "AM": "Arménie",
    "AO": "Angola",
    "AQ": "Antarctique",
    "AR": "Argentine",
    "AS": "Samoa américaines",
    "AT": "Autriche",
    "AU": "Australie",
    "AW": "Aruba",
    "AZ": "Azerbaïdjan",
    "BA": "Bosnie-Herzégovine",
    "BB": "Barbade",
    "BD": "Bangladesh",
    "BE": "Belgique",
    "BF": "Burkina Faso",
    "BG": "Bulgarie",
    "BH": "Bahreïn",
    "BI": "Burundi",
    "BJ": "Bénin",
    "BL": "Saint-Barthélemy",
    "BM": "Bermudes",
    "BN": "Brunei Darussalam",
    "BO": "Bolivie (Etat plurinational de)",
    "BQ": "Bonaire, Saint-Eustache et Saba",
    "BR": "Brésil",
    "BS": "Bahamas",
    "BT": "Bhoutan",
    "BV": "Bouvet (île)",
    "BW": "Botswana",
    "BY": "Biélorussie",
    "BZ": "Belize",
    "CA": "Canada",
    "CC": "Cocos (Keeling) (îles)",
    "CD": "Congo (République démocratique du)",
    "CF": "Centrafricaine (République)",
    "CG": "Congo",
    "CH": "Suisse",
    "CI": "Côte-d'Ivoire",
    "CK": "Cook (îles)",
    "CL": "Chili",
    "CM": "Cameroun",
    "CN": "Chine",
    "CO": "Colombie",
    "CR": "Costa Rica",
    "CU": "Cuba",
    "CV": "Cap-Vert",
    "CW": "Curaçao",
    "CX": "Christmas (île)",
    "CY": "Chypre",
    "CZ": "Tchèque (République)",
    "DE": "Allemagne",
    "DJ": "Djibouti",
    "DK": "Danemark",
    "DM": "Dominique",
    "DO": "Dominicaine (République)",
    "DZ": "Algérie",
    "EC": "Equateur",
    "EE": "Estonie",
    "EG": "Egypte",
    "EH": "Sahara occidental",
    "ER": "Erythrée",
    "ES": "Espagne",
    "ET": "Ethiopie",
    "EU": "Union européenne",
    "FI": "Finlande",
    "FJ": "Fidji",
    "FK": "Falkland (îles)",
    "FM": "Micronésie (Etats fédérés de)",
    "FO": "Féroé (îles)",
    "FR": "France",
    "GA": "Gabon",
    "GB": "Royaume-Uni",
    "GD": "Grenade",
    "GE": "Géorgie",
    "GF": "Guyane française",
    "GH": "Ghana",
    "GI": "Gibraltar",
    "GL": "Groenland",
    "GM": "Gambie",
    "GN": "Guinée",
    "GP": "Guadeloupe",
    "GQ": "Guinée équatoriale",
    "GR": "Grèce",
    "GS": "Géorgie du Sud et Sandwich du Sud (îles)",
    "GT": "Guatemala",
    "GU": "Guam",
    "GW": "Guinée-Bissau",
    "GY": "Guyana",
    "HK": "Hong Kong",
    "HM": "Heard et Mc Donald (îles)",
    "HN": "Honduras",
    "HR": "Croatie",
    "HT": "Haïti",
    "HU": "Hongrie",
    "ID": "Indonésie",
    "IE": "Irlande",
    "IL": "Israël",
    "IN": "Inde",
    "IO": "Océan Indien (Territoire britannique de l')",
    "IQ": "Iraq",
    "IR": "Iran (République islamique d')",
    "IS": "Islande",
    "IT": "Italie",
    "JM": "Jamaïque",
    "JO": "Jordanie",
    "JP": "Japon",
    "KE": "Kenya",
    "KG": "Kirghize (République)",
    "KH": "Cambodge",
    "KI": "Kiribati",
    "KM": "Comores",
    "KN": "Saint-Christophe-et-Nevis",
    "KP": "Corée (République populaire démocratique de)",
    "KR": "Corée (République de)",
    "KW": "Koweït",
    "KY": "Caïmans (îles)",
    "KZ": "Kazakhstan",
    "LA": "Lao (République démocratique populaire)",
    "LB": "Liban",
    "LC": "Sainte-Lucie",
    "LI": "Liechtenstein",
    "LK": "Sri Lanka",
    "LR": "Liberia",
    "LS": "Lesotho",
    "LT": "Lituanie",
    "LU": "Luxembourg",
    "LV": "Lettonie",
    "LY": "Libye",
    "MA": "Maroc",
    "MD": "Moldavie (République de)",
    "ME": "Monténégro",
    "MG": "Madagascar",
    "MH": "Marshall (îles)",
    "MK": "Macédoine (ancienne République yougoslave de)",
    "ML": "Mali",
    "MM": "Myanmar",
    "MN": "Mongolie",
    "MO": "Macao",
    "MP": "Mariannes du Nord (îles)",
    "MQ": "Martinique",
    "MR": "Mauritanie",
    "MS": "Montserrat",
    "MT": "Malte",
    "MU": "Maurice",
    "MV": "Maldives",
    "MW": "Malawi",
    "MX": "Mexique",
    "MY": "Malaisie",
    "MZ": "Mozambique",
    "NA": "Namibie",
    "NC": "Nouvelle-Calédonie",
    "NE": "Niger",
    "NF": "Norfolk (île)",
    "NG": "Nigeria",
    "NI": "Nicaragua",
    "NL": "Pays-Bas",
    "NO": "Norvège",
    "NP": "Népal",
    "NR": "Nauru",
    "NU": "Niué",
    "NZ": "Nouvelle-Zélande",
    "OM": "Oman",
    "PA": "Panama",
    "PE": "Pérou",
    "PF": "Polynésie française",
    "PG": "Papouasie-Nouvelle-Guinée",
    "PH": "Philippines",
    "PK": "Pakistan",
    "PL": "Pologne",
    "PM": "Saint-Pierre-et-Miquelon",
    "PN": "Pitcairn",
    "PS": "Territoire palestinien occupé",
    "PT": "Portugal",
    "PW": "Palaos",
    "PY": "Paraguay",
    "QA": "Qatar",
    "QP": "Haute mer",
    "QQ": "Autocorrections",
    "QR": "Avitaillement et soutage dans le cadre des échanges intra-UE",
    "QS": "Avitaillement et soutage dans le cadre des échanges avec les pays tiers",
    "QU": "Pays et territoires non déterminés",
    "RE": "La Réunion",
    "RO": "Roumanie",
    "RU": "Russie (Fédération de)",
    "RW": "Rwanda",
    "SA": "Arabie saoudite",
    "SB": "Salomon (îles)",
    "SC": "Seychelles",
    "SD": "Soudan",
    "SE": "Suède",
    "SG": "Singapour",
    "SH": "Sainte-Hélène, Ascension et Tristan da Cunha",
    "SI": "Slovénie",
    "SK": "Slovaquie",
    "SL": "Sierra Leone",
    "SM": "Saint-Marin",
    "SN": "Sénégal",
    "SO": "Somalie",
    "SR": "Suriname",
    "SS": "Soudan du Sud",
    "ST": "Sao Tomé-et-Principe",
    "SV": "El Salvador",
    "SX": "Sint-Maarten (partie néerlandaise)",
    "SY": "Syrienne (République arabe)",
    "SZ": "Swaziland",
    "TC": "Turks-et-Caïcos (îles)",
    "TD": "Tchad",
    "TF": "Terres australes françaises",
    "TG": "Togo",
    "TH": "Thaïlande",
    "TJ": "Tadjikistan",
    "TK": "Tokélaou",
    "TL": "Timor-Oriental",
    "TM": "Turkménistan",
    "TN": "Tunisie",
    "TO": "Tonga",
    "TR": "Turquie",
    "TT": "Trinité-et-Tobago",
    "TV": "Tuvalu",
    "TW": "Taïwan",
    "TZ": "Tanzanie (République unie de)",
    "UA": "Ukraine",
    "UG": "Ouganda",
    "UM": "Mineures éloignées des Etats-Unis (îles)",
    "US": "Etats-Unis",
    "UY": "Uruguay",
    "UZ": "Ouzbékistan",
    "VA": "Saint-Siège (Etat de la Cité du Vatican)",
    "VC": "Saint-Vincent-et-les-Grenadines",
    "VE": "Venezuela (République bolivarienne du)",
    "VG": "Vierges britanniques (îles)",
    "VI": "Vierges des Etats-Unis (îles)",
    "VN": "Viêt Nam",
    "VU": "Vanuatu",
    "WF": "Wallis-et-Futuna",
    "WS": "Samoa",
    "XC": "Ceuta",
    "XK": "Kosovo",
    "XL": "Melilla",
    "XS": "Serbie",
    "YE": "Yémen",
    "YT": "Mayotte",
    "ZA": "Afrique du Sud",
    "ZM": "Zambie",
    "ZW": "Zimbabwe",
}
"""Official labels of the current partner codes (validity ending 999912) of ``Libelle_PAYS.txt``.

Geonomenclature codes, close to ISO 3166 alpha-2: ``NA`` is Namibia, ``XK`` Kosovo, ``XS``
Serbia, ``XC`` Ceuta, ``XL`` Melilla; ``Q*`` codes are statistical specials.
"""

COUNTRY_SHORT: dict[str, str] = {
    "AE": "Émirats arabes unis",
    "BN": "Brunei",
    "BO": "Bolivie",
    "BQ": "Pays-Bas caribéens",
    "BV": "Île Bouvet",
    "CC": "Îles Cocos",
    "CD": "RD Congo",
    "CF": "Centrafrique",
    "CI": "Côte d’Ivoire",
    "CK": "Îles Cook",
    "CX": "Île Christmas",
    "CZ": "Tchéquie",
    "DO": "Rép. dominicaine",
    "EC": "Équateur",
    "EG": "Égypte",
    "ER": "Érythrée",
    "ET": "Éthiopie",
    "FK": "Îles Falkland",
    "FM": "Micronésie",
    "FO": "Îles Féroé",
    "GB": "Royaume-Uni",
    "GS": "Géorgie du Sud",
    "HM": "Îles Heard-et-McDonald",
    "IO": "Océan Indien (brit.)",
    "IR": "Iran",
    "KG": "Kirghizistan",
    "KN": "St-Christophe-et-Nevis",
    "KP": "Corée du Nord",
    "KR": "Corée du Sud",
    "KY": "Îles Caïmans",
    "LA": "Laos",
    "MD": "Moldavie",
    "MH": "Îles Marshall",
    "MK": "Macédoine du Nord",
    "MP": "Îles Mariannes du Nord",
    "NF": "Île Norfolk",
    "PG": "Papouasie-Nlle-Guinée",
    "PM": "St-Pierre-et-Miquelon",
    "PS": "Palestine",
    "QP": "Haute mer",
    "QR": "Avitaillement",
    "QS": "Avitaillement",
    "QU": "Pays non déterminés",
    "RU": "Russie",
    "SB": "Îles Salomon",
    "SH": "Sainte-Hélène",
    "SX": "Saint-Martin (NL)",
    "SY": "Syrie",
    "TC": "Îles Turks-et-Caïcos",
    "TF": "Terres australes fr.",
    "TZ": "Tanzanie",
    "UM": "Îles mineures (US)",
    "US": "États-Unis",
    "VA": "Vatican",
    "VC": "St-Vincent-Grenadines",
    "VE": "Venezuela",
    "VG": "Îles Vierges brit.",
    "VI": "Îles Vierges (US)",
    "VN": "Viêt Nam",
}
"""Short display names (at most ``COUNTRY_SHORT_MAX`` characters) where the official one is long or awkward."""

SAMPLE_CPF4: tuple[tuple[str, str, str], ...] = (
    ("0111", "A01Z", "Céréales (à l'exclusion du riz), légumineuses et oléagineux"),
    ("0113", "A01Z", "Légumes et melons, racines et tubercules"),
    ("0146", "A01Z", "Porcins, vivants"),
    ("0220", "A02Z", "Bois brut"),
    ("0210", "A02Z", "Arbres forestiers et services des pépinières"),
    ("0300", "A03Z", "Produits de la pêche et de l'aquaculture ; services de soutien à la pêche"),
    ("0510", "B05Z", "Houille"),
    ("0610", "B06Z", "Pétrole brut"),
    ("0620", "B06Z", "Gaz naturel, liquéfié ou gazeux"),
    ("0710", "B07Z", "Minerais de fer"),
    ("0729", "B07Z", "Autres minerais métalliques"),
    ("0811", "B08Z", "Pierres ornementales ou de construction, calcaire industriel, gypse, craie et ardoise"),
    ("0812", "B08Z", "Sables et granulats, argiles et kaolin"),
    ("1011", "C10A", "Viandes de boucherie et produits d'abattage"),
    ("1012", "C10A", "Viandes de volailles"),
    ("1013", "C10A", "Produits à base de viande"),
    ("1020", "C10B", "Préparations et conserves à base de poisson et de produits de la pêche"),
    ("1032", "C10C", "Jus de fruits et légumes"),
    ("1039", "C10C", "Autres préparations et conserves à base de fruits et légumes"),
    ("1041", "C10D", "Huiles et graisses"),
    ("1051", "C10E", "Produits laitiers et fromages"),
    ("1052", "C10E", "Glaces et sorbets"),
    ("1061", "C10F", "Produits du travail des grains"),
    ("1062", "C10F", "Produits amylacés"),
    ("1072", "C10G", "Biscottes et biscuits ; pâtisseries de conservation"),
    ("1073", "C10G", "Pâtes alimentaires"),
    ("1082", "C10H", "Cacao, chocolat et produits de confiserie"),
    ("1081", "C10H", "Sucre"),
    ("1086", "C10H", "Aliments homogénéisés et diététiques"),
    ("1091", "C10K", "Aliments pour animaux de ferme"),
    ("1092", "C10K", "Aliments pour animaux de compagnie"),
    ("1102", "C11Z", "Vins de raisin"),
    ("1101", "C11Z", "Boissons alcoolisées distillées"),
    ("1105", "C11Z", "Bière"),
    ("1200", "C12Z", "Produits à base de tabac"),
    ("1310", "C13Z", "Fils et filés"),
    ("1320", "C13Z", "Tissus"),
    ("1392", "C13Z", "Articles textiles confectionnés, sauf habillement"),
    ("1413", "C14Z", "Autres vêtements de dessus"),
    ("1414", "C14Z", "Vêtements de dessous"),
    ("1512", "C15Z", "Articles de voyage, de maroquinerie, de sellerie et de bourrellerie"),
    ("1520", "C15Z", "Chaussures"),
    ("1610", "C16Z", "Bois, sciés et rabotés"),
    ("1621", "C16Z", "Panneaux et placages à base de bois"),
    ("1712", "C17A", "Papier et carton"),
    ("1711", "C17A", "Pâte à papier"),
    ("1721", "C17B", "Papier et carton ondulés et emballages en papier ou en carton"),
    ("1722", "C17B", "Articles en papier à usage sanitaire ou domestique"),
    ("1812", "C18Z", "Autres travaux d'impression"),
    ("1820", "C18Z", "Reproduction d'enregistrements"),
    ("1920", "C19Z", "Produits du raffinage du pétrole"),
    ("1910", "C19Z", "Produits de la cokéfaction"),
    ("2014", "C20A", "Autres produits chimiques organiques de base"),
    ("2016", "C20A", "Matières plastiques sous formes primaires"),
    ("2015", "C20A", "Engrais et composés azotés"),
    ("2042", "C20B", "Parfums et produits pour la toilette"),
    ("2041", "C20B", "Savons, détergents et produits d'entretien"),
    ("2030", "C20C", "Peintures, vernis et revêtements similaires, encres d'imprimerie et mastics"),
    ("2020", "C20C", "Pesticides et autres produits agrochimiques"),
    ("2059", "C20C", "Autres produits chimiques n.c.a."),
    ("2120", "C21Z", "Préparations pharmaceutiques"),
    ("2110", "C21Z", "Produits pharmaceutiques de base"),
    ("2211", "C22A", "Pneumatiques ; rechapage et resculptage de pneumatiques"),
    ("2219", "C22A", "Autres produits en caoutchouc"),
    ("2222", "C22B", "Emballages en matières plastiques"),
    ("2229", "C22B", "Autres produits en matières plastiques"),
    ("2313", "C23A", "Verre creux"),
    ("2311", "C23A", "Verre plat"),
    ("2351", "C23B", "Ciment"),
    ("2331", "C23B", "Carreaux et dalles en céramique"),
    ("2399", "C23B", "Autres produits minéraux non métalliques n.c.a."),
    ("2410", "C24A", "Produits sidérurgiques de base et ferroalliages"),
    ("2420", "C24A", "Tubes, tuyaux, profilés creux et accessoires correspondants en acier"),
    ("2442", "C24B", "Aluminium"),
    ("2441", "C24B", "Métaux précieux"),
    ("2444", "C24B", "Cuivre"),
    ("2451", "C24C", "Travaux de fonderie de fonte"),
    ("2453", "C24C", "Travaux de fonderie de métaux légers"),
    ("2511", "C25A", "Structures métalliques et parties de structures"),
    ("2512", "C25A", "Portes et fenêtres en métal"),
    ("2529", "C25B", "Autres réservoirs, citernes et conteneurs métalliques"),
    ("2521", "C25B", "Radiateurs et chaudières pour le chauffage central"),
    ("2540", "C25C", "Armes et munitions"),
    ("2573", "C25E", "Outillage"),
    ("2571", "C25E", "Articles de coutellerie"),
    ("2599", "C25E", "Autres produits métalliques n.c.a."),
    ("2611", "C26A", "Composants électroniques"),
    ("2612", "C26A", "Cartes électroniques assemblées"),
    ("2620", "C26B", "Ordinateurs et équipements périphériques"),
    ("2630", "C26C", "Équipements de communication"),
    ("2640", "C26D", "Produits électroniques grand public"),
    ("2651", "C26E", "Instruments et appareils de mesure, d'essai et de navigation"),
    ("2652", "C26E", "Articles d'horlogerie"),
    ("2660", "C26F", "Équipements d'irradiation médicale, électromédicaux et électrothérapeutiques"),
    ("2670", "C26G", "Matériel optique et photographique"),
    ("2680", "C26G", "Supports magnétiques et optiques"),
    ("2751", "C27A", "Appareils électroménagers"),
    ("2752", "C27A", "Appareils ménagers non électriques"),
    ("2711", "C27B", "Moteurs, génératrices et transformateurs électriques"),
    ("2720", "C27B", "Piles et accumulateurs électriques"),
    ("2732", "C27B", "Autres fils et câbles électroniques ou électriques"),
    ("2811", "C28A", "Moteurs et turbines, à l'exclusion des moteurs pour avions, automobiles et motocycles"),
    ("2813", "C28A", "Autres pompes et compresseurs"),
    ("2825", "C28A", "Équipements aérauliques et frigorifiques industriels"),
    ("2830", "C28B", "Machines agricoles et forestières"),
    ("2841", "C28C", "Machines de formage des métaux"),
    ("2849", "C28C", "Autres machines-outils"),
    ("2892", "C28D", "Machines pour l'extraction ou la construction"),
    ("2893", "C28D", "Machines pour l'industrie agroalimentaire"),
    ("2899", "C28D", "Autres machines d'usage spécifique n.c.a."),
    ("2910", "C29A", "Véhicules automobiles"),
    ("2920", "C29A", "Carrosseries automobiles ; remorques et semi-remorques"),
    ("2932", "C29B", "Autres parties et accessoires pour véhicules automobiles"),
    ("2931", "C29B", "Équipements électriques et électroniques automobiles"),
    ("3011", "C30A", "Navires et structures flottantes"),
    ("3012", "C30A", "Bateaux de plaisance"),
    ("3020", "C30B", "Locomotives et autre matériel ferroviaire roulant"),
    ("3030", "C30C", "Aéronefs et engins spatiaux"),
    ("3040", "C30D", "Véhicules militaires de combat"),
    ("3091", "C30E", "Motocycles"),
    ("3092", "C30E", "Cycles et véhicules pour invalides"),
    ("3109", "C31Z", "Autres meubles"),
    ("3100", "C31Z", "Sièges et leurs parties ; parties de meubles"),
    ("3103", "C31Z", "Sommiers et matelas"),
    ("3212", "C32A", "Articles de joaillerie et bijouterie"),
    ("3220", "C32A", "Instruments de musique"),
    ("3250", "C32B", "Instruments et fournitures à usage médical et dentaire"),
    ("3230", "C32C", "Articles de sport"),
    ("3240", "C32C", "Jeux et jouets"),
    ("3299", "C32C", "Autres produits manufacturés n.c.a."),
    ("3511", "D35A", "Électricité"),
    ("3521", "D35B", "Gaz manufacturé"),
    ("3700", "E37Z", "Collecte et traitement des eaux usées ; boues d'épuration"),
    ("3832", "E38Z", "Récupération de matériaux triés ; matières premières secondaires"),
    ("3812", "E38Z", "Déchets dangereux ; collecte des déchets dangereux"),
    ("3811", "E38Z", "Déchets non dangereux ; collecte des déchets non dangereux"),
    ("5811", "J58Z", "Édition de livres"),
    ("5829", "J58Z", "Édition d'autres logiciels"),
    ("5814", "J58Z", "Édition de revues et périodiques"),
    ("5920", "J59Z", "Enregistrement sonore et édition musicale"),
    ("5911", "J59Z", "Production de films cinématographiques, de vidéos et de programmes de télévision"),
    ("7111", "M71Z", "Services d'architecture"),
    ("7112", "M71Z", "Services d'ingénierie et services de conseil technique connexes"),
    ("7420", "M74Z", "Services photographiques"),
    ("9003", "R90Z", "Création artistique"),
    ("9102", "R91Z", "Services des musées"),
    ("9101", "R91Z", "Services des bibliothèques et archives"),
    ("9602", "S96Z", "Services de coiffure et soins de beauté"),
)
"""(CPF4 rev. 2.1 code, A129 code, official CPF4 label) triples for the synthetic sample."""

SAMPLE_COUNTRIES: tuple[str, ...] = (
    "DE", "BE", "IT", "ES", "NL", "PL", "LU", "AT", "IE", "PT", "SE", "DK", "FI", "CZ",
    "HU", "RO", "SK", "SI", "HR", "BG", "GR", "CY", "MT", "EE", "LV", "LT", "GB", "CH",
    "NO", "IS", "TR", "RU", "UA", "XS", "US", "CA", "MX", "BR", "AR", "CL", "CO", "CN",
    "JP", "KR", "IN", "ID", "TH", "VN", "MY", "SG", "HK", "TW", "PH", "AU", "NZ", "SA",
    "AE", "QA", "IL", "MA", "DZ", "TN", "EG", "SN", "CI", "CM", "NG", "ZA", "NA", "AO",
)
"""Partner countries typical of French trade, used by the synthetic sample (``NA`` is Namibia)."""
# fmt: on

_ISLAND_WORDS = {"île": "Île", "îles": "Îles", "ile": "Île", "iles": "Îles"}


@cache
def _font_metrics() -> tuple[frozenset[int], dict[int, float]]:
    """Code points every bundled Lato face draws, and their advance widths in em (regular face)."""
    from fontTools.ttLib import TTFont  # a WeasyPrint dependency

    covered: frozenset[int] | None = None
    widths: dict[int, float] = {}
    for path in sorted(FONTS_DIR.glob("Lato-*.ttf")):
        font = TTFont(path, lazy=True)
        cmap = font.getBestCmap()
        covered = frozenset(cmap) if covered is None else covered & frozenset(cmap)
        if path.name == "Lato-Regular.ttf":
            # unitsPerEm read from the raw table: parsing "head" logs a warning about Lato's dates.
            metrics, units = font["hmtx"], int.from_bytes(font.reader["head"][18:20], "big")
            widths = {code: metrics[glyph][0] / units for code, glyph in cmap.items()}
        font.close()
    return covered or frozenset(), widths


def _em_width(text: str) -> float:
    widths = _font_metrics()[1]
    return sum(widths.get(ord(char), 1.0) for char in text)


def _displayable(label: str) -> str:
    """What of an official label can be printed safely: the characters the bundled font draws.

    Control and format characters (bidi overrides, zero-width...) and the scripts or emoji Lato
    lacks are dropped rather than drawn as empty boxes or in a fallback font, spaces are collapsed,
    and a leading ``=``, ``+``, ``-`` or ``@`` goes so that no spreadsheet reads the label as a
    formula. Empty when nothing readable is left (the caller then shows the code).
    """
    covered = _font_metrics()[0]
    kept = []
    for char in label:
        if char.isspace():
            kept.append(" ")
        elif ord(char) in covered and unicodedata.category(char)[0] != "C":
            kept.append(char)
    text = " ".join("".join(kept).split()).lstrip(_SPREADSHEET_LEAD + " ")
    return text if any(char.isalnum() for char in text) else ""


def _truncate(text: str, limit: int, max_em: float | None = None) -> str:
    """Cut ``text`` to at most ``limit`` characters and ``max_em`` wide, on a word boundary,
    with an ellipsis."""
    if len(text) <= limit and (max_em is None or _em_width(text) <= max_em):
        return text
    cut = text[: limit - 1]
    if max_em is not None:
        room = max_em - _em_width("…")
        while cut and _em_width(cut) > room:
            cut = cut[:-1]
    boundary = (len(cut) + 1) // 2
    cut = cut.rstrip(" ,;:-")
    space = cut.rfind(" ")
    if space >= boundary:
        cut = cut[:space].rstrip(" ,;:-")
    return cut + "…"


def _clean_country(label: str) -> str:
    """Turn an official country label into a display name.

    ``"Corée (République de)"`` becomes ``"Corée"``, ``"Falkland (îles)"`` becomes
    ``"Îles Falkland"``, ``"Cocos (Keeling) (îles)"`` becomes ``"Îles Cocos"``.
    """
    text = _displayable(label)
    original = text
    prefix = ""
    while text.endswith(")") and " (" in text:
        head, _, inner = text.rpartition(" (")
        inner = inner[:-1].strip()
        if not prefix and inner.lower() in _ISLAND_WORDS:
            prefix = _ISLAND_WORDS[inner.lower()] + " "
        text = head.strip()
    return _truncate(prefix + text if text else original, COUNTRY_SHORT_MAX, COUNTRY_SHORT_MAX_EM) if original else ""


def _clean_a129(label: str) -> str:
    """Shorten an official A129 label: keep its first clause, then truncate."""
    text = _displayable(label.strip().strip('"'))
    for separator in (" ; ", ", "):
        head = text.split(separator, 1)[0]
        if len(text) > A129_SHORT_MAX and len(head) >= 8:
            text = head
    return _truncate(text, A129_SHORT_MAX, A129_SHORT_MAX_EM)


def country_short(code: str, official: str | None = None) -> str:
    """Short display name of a partner country code.

    Uses ``COUNTRY_SHORT``, else a cleaned official label (``official`` if given,
    else ``COUNTRY_LABELS``), else the code itself.
    """
    key = code.strip().upper()
    short = COUNTRY_SHORT.get(key)
    if short:
        return short
    label = official if official and official.strip() else COUNTRY_LABELS.get(key)
    if label:
        return _clean_country(label) or code.strip()
    return code.strip()


def a129_short(code: str, official: str | None = None) -> str:
    """Short display label of an A129 product code.

    Uses ``A129_SHORT``, else a shortened official label (``official`` if given,
    else ``A129_LABELS``), else the code itself.
    """
    key = code.strip().upper()
    short = A129_SHORT.get(key)
    if short:
        return short
    label = official if official and official.strip() else A129_LABELS.get(key)
    if label:
        return _clean_a129(label) or code.strip()
    return code.strip()
