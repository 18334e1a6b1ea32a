"""The project's shared vocabulary: codes and their Swedish labels, defined once.

Every layer reads these names from here (the register cleaning, the tables, the models, the
reports and the demo generator), so a benefit, a diagnosis chapter or an age group means the
same thing everywhere.
"""

from __future__ import annotations

# Benefits of the reference population (MiDAS-style register), with their report labels.
BENEFITS = ("aktivitetsersattning", "sjukpenning")
BENEFIT_LABELS = {"aktivitetsersattning": "Aktivitetsersättning", "sjukpenning": "Sjukpenning"}

# Column headers and legends for sex in every report (the glossary's labels; data files keep the codes).
SEX_DISPLAY = {"kvinna": "Kvinnor", "man": "Män", "total": "Totalt"}

# Support at the start of a SUS registration (ersättning/försörjning vid inskrivning).
SUPPORT = ("sjukpenning", "aktivitetsersattning", "aktivitetsstod", "forsorjningsstod", "ingen")

# The diagnosis chapter counted as psychiatric (ICD-10 chapter V).
PSYCHIATRIC = "F00-F99"

# Age groups per benefit and whole years with the benefit: (label, lowest, highest), open ended.
AGE_GROUPS = {"aktivitetsersattning": [("19-24", 19, 24), ("25-29", 25, 29)],
              "sjukpenning": [("20-29", 20, 29), ("30-49", 30, 49), ("50-64", 50, 64)]}
TIME_GROUPS = [("0", 0, 0), ("1-2", 1, 2), ("3+", 3, 99)]
# What each age group holds, in Swedish: the ends are open (models.age_group), so the first group
# holds everyone younger and the last everyone older (e.g. people aged 30–36 with aktivitetsersättning
# counted from the benefit's start, or over 64 with sjukpenning): labelled by what they hold.
AGE_GROUP_LABELS = {"aktivitetsersattning": {"19-24": "24 år eller yngre", "25-29": "25 år eller äldre"},
                    "sjukpenning": {"20-29": "29 år eller yngre", "30-49": "30–49 år", "50-64": "50 år eller äldre"}}

# Rates are standardised to everyone with the benefit in this year (the models stage reads its register);
# when register.years does not hold it, to the last register year (pipeline.derive.models.standard_year).
STANDARD_YEAR = 2022
