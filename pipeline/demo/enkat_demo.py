"""Synthetic demo export of the 2016 enkät (data/raw/enkat/2016/export.csv).

SYNTHETIC DATA – NOT REAL ANSWERS. The förstudie (document 000) publishes only totals for
some questions: respondents per role, and shares such as 47 % finding FINSAM well anchored
among local politicians. This generator builds 159 fictitious respondents whose answers add
up to every published figure (see tests/backtests/test_bilaga3_backtest.py); how the answers
split between roles, and every question the document gives no figure for, is invented here.
Free-text answers are written for the demo and some carry planted e-mail addresses, phone
numbers and personnummer (fictitious), so the scrubbing can be tested.

Deterministic: the same seed gives the same file, byte for byte.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from ..sources.enkat import Survey, load_survey
from ..core.io import write_text_atomic

SEED = 2016
ROLES = ("Förbundschef/motsvarande", "Ordförande", "Vice ordförande")
RESPONDENTS = {"Förbundschef/motsvarande": 70, "Ordförande": 50, "Vice ordförande": 39}

# Answers per role: {question: {label: (förbundschefer, ordförande, vice ordförande)}}; the label
# NO_ANSWER counts those who left the question blank. Totals that the document publishes are
# noted; the split between roles is invented.
NO_ANSWER = ""
SINGLE_PLAN: dict[str, dict[str, tuple[int, int, int]]] = {
    "tid": {"Upp till 12 månader": (12, 9, 8), "Mer än 12 månader": (58, 41, 31)},
    "uppdragsgivare": {"Kommun": (0, 30, 20), "Landsting/region": (0, 12, 9), "Arbetsförmedlingen": (0, 4, 5),
                       "Försäkringskassan": (0, 4, 5)},
    # 47 % ganska/mycket väl: 75 of 159
    "forankring_lokal": {"Mycket dåligt": (3, 2, 2), "Ganska dåligt": (30, 18, 20), "Ganska väl": (30, 22, 10),
                         "Mycket väl": (4, 6, 3), "Vet ej": (3, 2, 4)},
    # 33 %: 52 of 159
    "forankring_regional": {"Mycket dåligt": (6, 4, 5), "Ganska dåligt": (38, 24, 19), "Ganska väl": (20, 16, 10),
                            "Mycket väl": (1, 3, 2), "Vet ej": (5, 3, 3)},
    # väl 29 % (46), dåligt 53 % (84), vet ej 18 % (29)
    "forankring_nationell": {"Mycket dåligt": (14, 9, 6), "Ganska dåligt": (26, 16, 13), "Ganska väl": (18, 14, 9),
                             "Mycket väl": (2, 2, 1), "Vet ej": (10, 9, 10)},
    # ja 49 % (78), nej 49 % (78)
    "malgrupper": {"Ja": (30, 27, 21), "Nej": (39, 22, 17), "Vet ej": (1, 1, 1)},
    # drygt 80 %, åtta av tio: 131 of 159 ganska/mycket viktigt
    "kartlaggning": {"Inte alls viktigt": (1, 1, 0), "Inte särskilt viktigt": (8, 6, 4),
                     "Ganska viktigt": (26, 20, 15), "Mycket viktigt": (33, 21, 16), "Vet ej": (2, 2, 4)},
    "effekter_individ": {"Inte alls viktigt": (0, 0, 0), "Inte särskilt viktigt": (3, 2, 2),
                         "Ganska viktigt": (20, 18, 14), "Mycket viktigt": (46, 29, 21), "Vet ej": (1, 1, 2)},
    "effekter_struktur": {"Inte alls viktigt": (0, 1, 0), "Inte särskilt viktigt": (4, 4, 3),
                          "Ganska viktigt": (24, 19, 15), "Mycket viktigt": (41, 24, 18), "Vet ej": (1, 2, 3)},
    # 69 %: 110 of 159 ganska/mycket viktigt
    "internationellt": {"Inte alls viktigt": (4, 2, 2), "Inte särskilt viktigt": (18, 11, 6),
                        "Ganska viktigt": (32, 24, 20), "Mycket viktigt": (14, 10, 10), "Vet ej": (2, 3, 1)},
    # ja 79 %: 126 of 159
    "forebyggande": {"Ja": (52, 42, 32), "Nej": (12, 5, 4), "Vet ej": (6, 3, 3)},
    # ja 56 % (89), nej 27 % (43), vet ej 17 % (27); förbundschefer more positive than the board
    "riktade": {"Ja": (48, 24, 17), "Nej": (12, 16, 15), "Vet ej": (10, 10, 7)},
    # nothing legible on the slide (Bild 29): 150 answering is invented
    "rattvisare_bild": {"Ja": (50, 33, 24), "Nej": (5, 5, 4), "Vet ej": (12, 9, 8), NO_ANSWER: (3, 3, 3)},
    # n = 152 (Bild 31); the distribution is invented
    "gradering": {"Mycket dåliga": (1, 1, 0), "Ganska dåliga": (5, 3, 2), "Ganska bra": (36, 27, 23),
                  "Mycket bra": (24, 14, 11), "Vet ej": (2, 2, 1), NO_ANSWER: (2, 3, 2)},
}

# Multiple choice: {question: (asked of those answering `gate` with "Ja" or everyone, respondents
# answering, {option: times ticked})}. Published: the order of the first options (förebyggande,
# riktade), and for åtgärder 154 answering, 81 näringsliv, 60 civilsamhälle (text) and 105, 72,
# 71, 15 (read from the chart's OCR text); for kännetecken 9, 71, 7, 101 and 101 (read from the
# chart's OCR text, Bild 26). Its 150 answering is invented (the printed n is not legible), and so
# are its other counts, except 78 and 65, which follow the likely reading of the garbled "T8" and "&5".
MULTI_PLAN: dict[str, tuple[str | None, int | None, dict[str, int]]] = {
    "forebyggande_omraden": ("forebyggande", None, {
        "Insatser för definierade riskgrupper": 98, "Förebyggande insatser för unga under 16 år": 77,
        "Insatser på individnivå": 54, "Generella insatser till befolkningen": 31}),
    "riktade_omraden": ("riktade", None, {
        "Stärka utsatta grupper": 61, "Unga som avslutar gymnasiet i förtid": 47, "Nyanlända": 38,
        "Personer med psykisk ohälsa": 33, "Långtidsarbetslösa": 25}),
    "atgarder": (None, 154, {
        "Ökad samverkanskompetens": 105, "Strukturerad samverkan med lokalt/regionalt näringsliv": 81,
        "Riktade uppdrag med finansiering": 72, "Aktiv och levande kommunikation": 71,
        "Strukturerad samverkan med civilsamhället": 60, "Ökad kunskap om uppdrag och regelverk": 50,
        "Dialog med brukare/medborgare": 45, "Styrelseutveckling": 35, "Ledarutveckling": 30,
        "Rekrytera kvalificerade förbundschefer": 20, "Annat": 15}),
    "kannetecken": (None, 150, {
        "Resultat och effekter av samordnade insatser på individnivå": 101,
        "Resultat och effekter av samordnade insatser på strukturell nivå": 101, "Politisk förankring": 78,
        "Kunskap om varandras behov, uppdrag och regelverk": 71, "Implementering av effektiva arbetssätt": 65,
        "Gemensamt synsätt och ansvar utifrån en helhetsbild": 58, "Samverkansklimat": 54, "Ledarskap": 46,
        "Flexibelt användande av myndigheternas kompetens": 40,
        "Gemensamt erfarenhetsutbyte och lärande mellan samtliga parter": 36,
        "Nytänkande och innovationsförmåga": 31, "Aktiv och levande kommunikation": 26,
        "Dialog med brukare/medborgare": 17, "Annat": 9, "Forskarmedverkan": 7}),
}

# Free text written for the demo (not quotes). Planted personal data is fictitious: names are
# common first names and surnames (so the name lists catch them), phone numbers are from the
# series PTS keeps for fiction (070-174 06 xx), 19121212-1212 is Skatteverket's test number.
TEXTS = {
    "forankring_kommentar": [
        "Ju närmare förbundet man sitter, desto bättre känner man till det.",
        "Politikerna byts ut varje mandatperiod och då börjar informationen om från början.",
        "Vi syns för lite. Arbetet är bra men ingen på nationell nivå vet om det.",
        "Medlemssamråden har gjort skillnad hos oss.",
        "Fråga Anna Svensson i styrelsen, hon har drivit frågan om förankring länge.",
        "Det saknas en nationell strategi för hur Finsam ska beskrivas.",
    ],
    "malgrupper_kommentar": [
        "Lagen räcker som den är, det lokala behovet ska styra.",
        "Ett förtydligande kring unga under 18 år och förebyggande arbete vore bra.",
        "Tydligare målgrupper skulle göra det lättare att följa upp och jämföra förbunden.",
        "Vi pratar hellre om behovsgrupper än målgrupper.",
        "Var går gränsen mot andra samverkansformer? Hör gärna av er till mig på karin.lund@samordning-exempel.se",
        "Flexibiliteten är vår styrka, den får inte försvinna.",
        "Nyanlända behöver nämnas uttryckligen.",
        "Ring mig på 070-123 45 67 så berättar jag hur vi har gjort.",
    ],
    "kartlaggning_kommentar": [
        "Insatserna är viktigare än kartläggningarna.",
        "Alla förbund gör på sitt eget sätt; en gemensam mall skulle spara mycket arbete.",
        "Kartläggningar riskerar att hamna i en pärm om ingen följer upp dem.",
        "Vi har en metod som fungerar, mejla lisa.holm (at) exempelforbundet punkt se så skickar jag den.",
        "Behovsgrupper över sektorsgränserna är svårast att få grepp om.",
    ],
    "effekter_kommentar": [
        "Ett nationellt stöd för utvärdering skulle hjälpa små förbund.",
        "Det är svårt att visa vad samordningen tillför när uppdraget är så brett.",
        "Individinsatserna görs mest av parterna, förbundets roll är strukturen.",
        "Vi skulle kunna dela på externa utvärderare. Ring Erik på 070-174 06 12.",
        "Kunskapen om effekter av strukturinsatser är nästan obefintlig.",
    ],
    "internationellt_kommentar": [
        "Utblickar ger nya idéer.",
        "Det är svårt att föra över erfarenheter från andra länders system.",
        "Norden ligger närmast till hands att jämföra med.",
    ],
    "forebyggande_kommentar": [
        "Allt förebyggande är bra, men var går gränsen för vad förbunden ska göra?",
        "Mer samarbete med skolan behövs.",
        "Unga under 16 år är kommunens och regionens ansvar, inte förbundets.",
        "Varje myndighet måste själv satsa på förebyggande arbete.",
        "Ett exempel från oss: deltagaren med personnummer 19121212-1212 fick stöd i tid.",
    ],
    "arena_kommentar": [
        "Uppdraget måste beskrivas tydligare, även om det betyder att vi gör färre saker.",
        "Medlemsdialoger och en fungerande uppföljning.",
        "Gemensam kompetensutveckling för tjänstepersoner och politiker.",
        "Former för strukturell samverkan mellan parterna behöver utvecklas.",
        "Kontakta vår förbundschef Karin Johansson, +46 70 174 06 45.",
    ],
    "kannetecken_kommentar": [
        "Alla alternativen hänger ihop och är viktiga.",
        "Resultat för deltagarna är det som räknas i slutändan.",
        "Ett bra samverkansklimat går före allt annat.",
    ],
    "strategiska_fragor": [
        "Politikernas kunskap om och engagemang för Finsam på alla nivåer.",
        "Vad vill ägarna egentligen med förbunden?",
        "Förebyggande arbete och var gränsen går.",
        "Mer enhetlighet över landet så att omvärlden förstår vad förbunden gör.",
        "Långsiktig finansiering av insatser som fungerar.",
        "Samla samverkan under ett tak – en dörr in.",
        "Uppföljning som visar resultat på strukturnivå. Min kollega (pnr 19640315-2386) har skrivit om detta.",
        "Kontakt: 08-123 456 78 eller per.ek@exempelforbundet.se",
        "Jag heter Sven och har personnummer 7105179876, hör av er.",
        "Stöd för nationell utvärdering av insatser.",
    ],
}
# How many answered each free-text question: invented ("Över 100 förslag" on Bild 28 counts
# proposals, so strategiska_fragor has more than 100 answers).
TEXT_ANSWERS = {"forankring_kommentar": 37, "malgrupper_kommentar": 41, "kartlaggning_kommentar": 26,
                "effekter_kommentar": 33, "internationellt_kommentar": 18, "forebyggande_kommentar": 29,
                "arena_kommentar": 31, "kannetecken_kommentar": 12, "strategiska_fragor": 103}
PLANTED = ("karin.lund@samordning-exempel.se", "070-123 45 67", "19640315-2386", "08-123 456 78",
           "per.ek@exempelforbundet.se", "7105179876", "Anna Svensson", "lisa.holm (at) exempelforbundet punkt se",
           "070-174 06 12", "19121212-1212", "Karin Johansson", "+46 70 174 06 45")


def _assign_single(rng: np.random.Generator, people: dict[str, list[int]], plan: dict[str, tuple[int, ...]],
                   asked: list[str]) -> dict[int, str]:
    out: dict[int, str] = {}
    for r, role in enumerate(ROLES):
        labels = [label for label, counts in plan.items() for _ in range(counts[r])]
        ids = people[role] if role in asked else []
        if len(labels) not in (0, len(ids)):
            raise ValueError(f"demo plan gives {len(labels)} answers for {len(ids)} {role}")
        for pid, label in zip(ids, rng.permutation(labels)):
            if label != NO_ANSWER:
                out[pid] = str(label)
    return out


def _assign_multi(rng: np.random.Generator, eligible: list[int], counts: dict[str, int]) -> dict[int, list[str]]:
    """Tick each option exactly ``counts`` times, giving each eligible respondent at least one."""
    ticks: dict[int, list[str]] = {p: [] for p in eligible}
    order = list(rng.permutation(eligible))
    for option, k in counts.items():
        if k > len(eligible):
            raise ValueError(f"{option}: {k} ticks for {len(eligible)} respondents")
        ranked = sorted(order, key=lambda p: len(ticks[p]))  # stable: least ticked first, then random
        for p in ranked[:k]:
            ticks[p].append(option)
        order = list(rng.permutation(order))
    return ticks


def generate_export(survey: Survey, seed: int = SEED) -> str:
    """The demo export as CSV text (UTF-8, comma-separated, Swedish question texts as headers)."""
    rng = np.random.default_rng(seed)
    n = sum(RESPONDENTS.values())
    roles = [role for role in ROLES for _ in range(RESPONDENTS[role])]
    roles = [str(r) for r in rng.permutation(roles)]
    people = {role: [i for i, r in enumerate(roles) if r == role] for role in ROLES}
    answers: dict[str, dict[int, str]] = {}
    for q in survey.questions:
        if q.id in SINGLE_PLAN:
            answers[q.id] = _assign_single(rng, people, SINGLE_PLAN[q.id], list(q.asked or ROLES))
    for qid, (gate, n_answering, counts) in MULTI_PLAN.items():
        eligible = [p for p in range(n) if answers[gate].get(p) == "Ja"] if gate else \
            sorted(int(p) for p in rng.choice(n, size=n_answering, replace=False))
        answers[qid] = {p: survey.separator.join(t) for p, t in _assign_multi(rng, eligible, counts).items() if t}
    for qid, pool in TEXTS.items():
        chosen = sorted(int(p) for p in rng.choice(n, size=TEXT_ANSWERS[qid], replace=False))
        texts = list(pool) + [str(t) for t in rng.choice(pool, size=len(chosen) - len(pool))]
        answers[qid] = dict(zip(chosen, texts))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([q.header for q in survey.questions])
    for p in range(n):
        row = []
        for q in survey.questions:
            if q.kind == "id":
                row.append(f"R{p + 1:04d}")
            elif q.kind == "role":
                row.append(roles[p])
            else:
                row.append(answers.get(q.id, {}).get(p, ""))
        writer.writerow(row)
    return buffer.getvalue()


def write_enkat_demo(folder: str | Path, seed: int = SEED) -> Path:
    survey = load_survey(folder)
    return write_text_atomic(Path(folder) / survey.export, generate_export(survey, seed))
