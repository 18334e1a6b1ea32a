"""Two corpora for the free-text scrubber (pipeline/core/privacy.py), written for the project.

``PLANTED``: personal data in the forms people write it in survey answers – names of many
origins, in lower case, hyphenated, with titles, after "heter"; phone numbers and personnummer
in every spacing, with no-break spaces, non-breaking hyphens, dashes, full-width digits and
zero-width characters; e-mail addresses spelled out. Each form is put into a carrier sentence
(with no digits of its own), so that a test can require that nothing of the form survives.
All numbers are fictitious (070-123 45 67 style, Skatteverket's test number 19121212-1212 and
numbers made up for the project), and so are the people.

``ORDINARY``: answers to the open questions of a survey about samverkan and rehabilitering, as
förbundschefer, board members, staff and participants write them – with organisations, places,
abbreviations, English terms, numbers, dates, times and percentages, and no personal data. The
share of them that lose words is reported in docs/assumptions_caveats.md.
"""

from __future__ import annotations

# (kind, form); kind is "namn", "telefon", "personnummer" or "e-post".
NAMES = [
    # Swedish, capitalised, hyphenated, double surnames, names that are also words
    "Anna Svensson", "Lars-Erik Johansson", "Karin Lindqvist", "Björn Ek", "Per Berg", "Bo Lund", "Eva Ödmark",
    "Maria Wahlgren-Ytterbom", "Ingrid Ytterbom", "Sven-Olof Ahlberg-Svensson", "Anna-Karin Holm",
    "Gunnel Sjöberg Nyqvist", "Mikael Persson", "Ulla-Britt Engström", "Saga Björk", "Liv Strand",
    "Kjell Åhlund", "Agneta Wikström-Öberg", "Stig Hed", "Åsa Nordin",
    # Swedish, lower case
    "anna svensson", "lars-erik johansson", "karin lindqvist", "per andersson", "eva ödmark",
    "maria wahlgren-ytterbom", "mikael persson", "åsa nordin", "ulla-britt engström", "kjell åhlund",
    # one name alone
    "Erik", "Ahmed", "Fatima", "Lindqvist", "Ödmark", "Wahlgren-Ytterbom", "anna", "erik", "svensson",
    # many origins, capitalised
    "Zlatan Ibrahimović", "Fatima Al-Hassan", "Mohammed Ali", "Ahmed Hussein", "Abdirahman Warsame",
    "Hodan Farah", "Mehmet Yılmaz", "Ayşe Demir", "Piotr Kowalski", "Katarzyna Wójcik", "Dragana Petrović",
    "Aleksandr Ivanov", "Tiina Mäkinen", "Jukka Virtanen", "Siobhan O'Brien", "Jean-Pierre Dubois",
    "José García", "Olumide Adeyemi", "Chidi Okafor", "Amir Rahimi", "Reza Mohammadi", "Leila Karimi",
    "Samir Haddad", "Yusuf Abdullahi", "Mariam Osman", "Emir Hodžić", "Aida Begić", "Arjun Sharma",
    "Priya Patel", "Nguyen Thi Lan", "Goran Nikolić", "Agnieszka Nowak", "Hamid Karzai-Nouri",
    "Shirin Ahmadi", "Tesfaye Bekele",
    # many origins, lower case
    "zlatan ibrahimović", "fatima al-hassan", "ahmed hussein", "piotr kowalski", "dragana petrović",
    "mehmet yılmaz", "hodan farah", "jukka virtanen",
    # typographic variants of a name
    "Anna\u00a0Svensson", "Lars\u2011Erik Johansson", "Karin\u200bLindqvist", "ANNA SVENSSON", "Zlatan Ibrahimovic\u0301",
    "Siobhan O\u2019Brien",
]
TITLED = [  # a title or "heter" before the name: the name is the form, the title stays
    ("dr", "Ödmark"), ("doktor", "Lindqvist"), ("handläggaren", "Sandberg"), ("kuratorn", "Mirja"),
    ("handläggaren", "ödmark"), ("jobbcoachen", "Hassan"), ("psykologen", "Berit Holm"), ("heter", "Saga"),
    ("heter", "zlatan"), ("sjuksköterskan", "Wahlgren"), ("samordnaren", "Tove Ytterbom"),
    ("förbundschefen", "Gunilla Ödmark"), ("kontaktpersonen", "abdi"), ("fru", "Åhlund"), ("herr", "Nowak"),
]
PHONES = [
    "070-123 45 67", "070 123 45 67", "0701234567", "070/123 45 67", "070.123.45.67", "070\u2013123 45 67",
    "070\u2011123\u00a045\u00a067", "+46 70 123 45 67", "+46701234567", "+46 (0)70-123 45 67",
    "0046 70 123 45 67", "0046701234567", "08-123 456 78", "08 - 123 456 78", "08/123 456 78",
    "(08) 123 456 78", "08-12 34 56", "031-12 34 56", "031/123456", "0771-23 23 23", "+46 8 123 456 78",
    "+46-8-1234567", "070 12 34 567", "0706-12 34 56", "070-12 345 67", "073.456 78 90",
    "+46 (0) 73 456 78 90", "076\u202f123\u202f45\u202f67", "\uff10\uff17\uff10-\uff11\uff12\uff13 \uff14\uff15 \uff16\uff17",
    "046-12 34 56", "070 - 123 45 67", "070\u2212123 45 67", "+46\u00a070\u00a0123\u00a045\u00a067",
    "0046-70-123 45 67", "070-1234567", "08.123.456.78", "090-12 34 56", "0920/12 34 56",
]
PERSONNUMMER = [
    "19640315-2386", "196403152386", "640315-2386", "6403152386", "640315+2386", "640375-2386",
    "640315 2386", "640315\u00a02386", "640315\u20112386", "19640315\u20112386", "640315 - 2386",
    "640315\u20132386", "19640315 2386", "6403152387", "\uff16\uff14\uff10\uff13\uff11\uff15-\uff12\uff13\uff18\uff16",
    "640315\u200b-2386", "19121212-1212", "121212-1212", "20010229-1234", "19710517-9876",
]
EMAILS = [
    "anna.svensson@kommun.se", "anna.svensson (at) kommun.se", "a.svensson[at]region-exempel.se",
    "lars snabel-a forbundet punkt se", "ANNA.SVENSSON@KOMMUN.SE", "anna.svensson\uff20kommun.se",
    "karin.lund (at) exempel (dot) se", "per.ek at kommun punkt se", "info.lindqvist{at}forbund.nu",
    "mohammed.ali@exempel-forbund.org",
]

CARRIERS = [
    "Ring {} om ni vill veta mer.",
    "Kontakta {} på förbundet, det är den som kan svara.",
    "Vi har haft stor hjälp av {} under hela projektet.",
    "jag tycker att {} borde få mer tid med deltagarna",
    "Det var {} som tog initiativet till samverkansteamet.",
    "Mitt nummer är {} och ni får gärna höra av er.",
    "Frågor om insatsen besvaras av {}.",
    "Efter mötet med {} blev det lättare att få en plan.",
    "min kontakt på försäkringskassan är {}, hon är jättebra",
    "Tack till {} för ett fint bemötande!",
]

PLANTED: list[tuple[str, str, str]] = []  # (kind, form, answer)
for n, form in enumerate(NAMES):
    PLANTED.append(("namn", form, CARRIERS[n % len(CARRIERS)].format(form)))
for n, (title, form) in enumerate(TITLED):
    PLANTED.append(("namn", form, CARRIERS[(n + 3) % len(CARRIERS)].format(f"{title} {form}")))
for kind, forms in (("telefon", PHONES), ("personnummer", PERSONNUMMER), ("e-post", EMAILS)):
    for n, form in enumerate(forms):
        PLANTED.append((kind, form, CARRIERS[(n + 5) % len(CARRIERS)].format(form)))

ORDINARY = [
    "Samverkan mellan Försäkringskassan och Arbetsförmedlingen har blivit mycket bättre de senaste åren.",
    "Vi behöver mer tid för att bygga förtroende mellan parterna.",
    "Deltagarna uppskattar att de får en kontaktperson som följer dem hela vägen.",
    "Det är svårt att hitta praktikplatser på orten, särskilt för unga med funktionsnedsättning.",
    "Förbundet borde satsa mer på förebyggande insatser för unga vuxna.",
    "Styrelsen har en tydlig bild av uppdraget men kommunerna ser olika på det.",
    "Regionen deltar för lite i det operativa arbetet.",
    "Handläggarna på Arbetsförmedlingen byts ut för ofta, det skapar otrygghet för deltagarna.",
    "Rehabiliteringen tar för lång tid och många hamnar mellan stolarna.",
    "Vi har goda erfarenheter av IPS och Supported Employment.",
    "Insatsen Steget vidare har gett bra resultat: 42 % gick till arbete eller studier.",
    "Mer än hälften av deltagarna hade aktivitetsersättning när de skrevs in.",
    "Uppföljningen i SUS är tidskrävande men nödvändig.",
    "Kartläggningen visade att behoven är störst bland personer med psykisk ohälsa.",
    "Samordningsförbundet i Göteborg har en modell som vi gärna tittar närmare på.",
    "Det behövs ett nationellt stöd för utvärdering av strukturinsatser.",
    "Vi har för få resurser för att möta alla som behöver stöd.",
    "Kommunens socialtjänst och vårdcentralen samarbetar nu kring gemensamma ärenden.",
    "Jag önskar att fler arbetsgivare ville ta emot deltagare på praktik.",
    "Medlemsdialogerna i Malmö och Lund har varit givande.",
    "Budgeten för 2023 räcker inte till de insatser vi har planerat.",
    "Mötet hölls den 12 maj kl. 09.30-11.00 i kommunhuset.",
    "Ungefär 1 200 personer har deltagit sedan starten 2016.",
    "Fler borde få möjlighet att prova på arbete i lugn takt.",
    "Den sociala kooperativa verksamheten är ett bra steg på vägen.",
    "Bemötandet från personalen har varit fantastiskt.",
    "Det är viktigt att deltagaren själv är delaktig i planeringen.",
    "Vi saknar en gemensam IT-lösning för att dela information mellan myndigheterna.",
    "Sekretessen mellan parterna gör det svårt att samordna insatserna.",
    "Samverkansteamet träffas varannan vecka och går igenom nya ärenden.",
    "Vi har jobbat mycket med motiverande samtal och det fungerar.",
    "Unga som varken arbetar eller studerar är den viktigaste målgruppen för oss.",
    "Primärvården behöver vara med tidigare i processen.",
    "Psykiatrin har långa väntetider vilket försenar rehabiliteringen.",
    "Samhall har tagit emot flera av våra deltagare.",
    "Projektet finansierades delvis av ESF och avslutades i december.",
    "Det tar tid innan en person med sjukpenning är redo för arbetslivsinriktade insatser.",
    "Arbetsträningen i kommunens regi har varit uppskattad.",
    "Vi följer upp deltagarna efter sex och tolv månader.",
    "Resultaten är svåra att mäta eftersom målgruppen står långt från arbetsmarknaden.",
    "Det vore bra med en gemensam plattform för alla förbund i Västra Götaland.",
    "Vi har haft en jobbcoach på halvtid sedan hösten.",
    "Nyanlända kvinnor är en grupp vi når för dåligt.",
    "Språkstödet på sfi borde kopplas ihop med praktiken.",
    "Ekonomiskt bistånd är den vanligaste försörjningen bland våra deltagare.",
    "Uppdraget från ägarna är otydligt.",
    "Förbundschefen har gjort ett stort arbete med att förankra verksamheten.",
    "Det har blivit bättre sedan vi började med gemensamma utbildningsdagar.",
    "Vi har tagit fram en metodbok som andra förbund får använda.",
    "Coronapandemin gjorde att många insatser pausades under 2020 och 2021.",
    "Digitala möten fungerar bra för styrelsen men inte för deltagarna.",
    "Det är för mycket administration kring varje insats.",
    "Finsam är ett bra verktyg men lagen kunde vara tydligare.",
    "Kommunerna i Norrbotten har långa avstånd, det påverkar hur vi kan arbeta.",
    "Vi har startat en grupp för personer med långvarig smärta.",
    "Insatserna för unga med aktivitetsersättning behöver förlängas.",
    "Förbundet har fyra anställda och en budget på cirka 8 miljoner kronor.",
    "Andelen som gick vidare till arbete ökade från 18 % till 27 %.",
    "Vi har ett nära samarbete med Region Skåne och Skånes kommuner.",
    "Jag upplever att Försäkringskassans bedömningar har blivit hårdare.",
    "Arbetsförmedlingens omorganisation har försvårat samverkan lokalt.",
    "En gemensam kartläggning av målgruppen gjordes 2019.",
    "Det behövs fler insatser på kvällstid för den som har barn.",
    "Styrelsen träffas sex gånger per år.",
    "Beredningsgruppen fungerar som en länk mellan styrelsen och verksamheten.",
    "Vi har bra stöd från NNS och från andra förbund i nätverket.",
    "Uppföljningssystemet SUS behöver bli enklare att använda.",
    "Jag skulle vilja se mer forskning om vad som fungerar.",
    "Insatsen riktar sig till personer mellan 16 och 29 år.",
    "Det var lättare förr när alla satt i samma hus.",
    "Samlokaliseringen i Uppsala har varit en framgång.",
    "Vi har utbildat personalen i traumamedveten omsorg.",
    "Motivationen hos deltagarna ökar när de får ett riktigt arbete att gå till.",
    "Det finns en risk att insatserna blir kortsiktiga när de finansieras som projekt.",
    "Förbundet bör fokusera på strukturövergripande arbete.",
    "Individinsatserna är det som syns mest utåt.",
    "Hälsofrämjande aktiviteter som promenadgrupper har varit populära.",
    "Många deltagare har varit sjukskrivna i flera år.",
    "Vi har för lite kunskap om deltagarnas hälsa efter avslutad insats.",
    "Arbetsgivarnätverket har utvecklats positivt.",
    "Mer stöd till familjer med barn med neuropsykiatriska diagnoser behövs.",
    "Det är svårt att rekrytera personal med rätt kompetens.",
    "Vi borde arbeta mer med jämställdhet i insatserna.",
    "Ungdomsmottagningen har blivit en viktig partner.",
    "Den nationella strategin saknas fortfarande.",
    "Deltagarenkäten visar att 85 % är nöjda med bemötandet.",
    "Vi har infört en gemensam checklista vid inskrivning.",
    "Förbundets hemsida behöver uppdateras.",
    "Många av våra deltagare har utländsk bakgrund och behöver tolk.",
    "Fler borde få prova Supported Employment tidigt i processen.",
    "Dialogen med Migrationsverket har varit bra.",
    "Skolverket och Socialstyrelsen borde vara med i den nationella samverkan.",
    "Vi har ett ESF-projekt som löper ut 2024.",
    "Den gemensamma utvärderingen gjordes av en extern konsult.",
    "Det finns ett stort behov av stöd i vardagen, till exempel med ekonomi och boende.",
    "Vi har skapat en ingång för alla myndigheter, en dörr in.",
    "Sjukvården deltar inte i den utsträckning vi önskar.",
    "Samverkan på ledningsnivå fungerar men inte alltid på handläggarnivå.",
    "jag tycker insatsen var bra men den var för kort",
    "personalen lyssnade på mig och jag fick hjälp att söka jobb",
    "det borde finnas mer stöd efter att insatsen är slut",
    "Vi har svårt att nå män i medelåldern.",
    "Utbildningen i motiverande samtal genomfördes under våren.",
    "Kostnaden per deltagare var ungefär 45 000 kr.",
    "Mellan januari och juni skrevs 37 nya deltagare in.",
    "Kontakten med Försäkringskassan sker via en särskild handläggare.",
    "Den lokala arbetsmarknaden i Jämtland är liten.",
    "Fler insatser borde rikta sig till personer över 50 år.",
    "Vi har en brukarrådgivare med egen erfarenhet av psykisk ohälsa.",
    "Det är bra att förbundet kan finansiera insatser som ingen enskild part kan.",
    "Kommunens arbetsmarknadsenhet är vår största samarbetspartner.",
    "Vi har mätt effekter med en enkät före och efter insatsen.",
    "Alla fyra parter har varit representerade i styrelsen sedan starten.",
    "Insatsen heter Vägen framåt och har funnits i tre år.",
    "Det är ett problem att deltagarna bollas mellan olika myndigheter.",
    "Stödet från Inspektionen för socialförsäkringen har varit begränsat.",
    "Jag vill lyfta vikten av tidiga insatser.",
    "Våra resultat finns i årsredovisningen för 2022.",
    "Vi erbjuder studiebesök för andra förbund.",
    "Samordnarna har en nyckelroll i arbetet.",
    "Tidigare var det svårt att få läkarintyg i tid.",
    "Vi har kortat väntetiden från sex till två veckor.",
]
