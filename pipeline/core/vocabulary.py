"""The project's shared vocabulary: codes and their Swedish labels, defined once.

Every layer reads these names from here (the register cleaning, the tables, the models, the
reports and the demo generator), so a benefit, a diagnosis chapter or an age group means the
same thing everywhere.
"""

from __future__ import annotations

# Benefits of the reference population (MiDAS-style register), with their report labels.
BENEFITS = ("aktivitetsersattning", "sjukpenning")
BENEFIT_LABELS = {"aktivitetsersattning": "Aktivitetsersättning", "sjukpenning": "Sjukpenning"}

# Support at the start of a SUS registration (ersättning/försörjning vid inskrivning).
SUPPORT = ("sjukpenning", "aktivitetsersattning", "aktivitetsstod", "forsorjningsstod", "ingen")

# The diagnosis chapter counted as psychiatric (ICD-10 chapter V).
PSYCHIATRIC = "F00-F99"

# Age groups per benefit and whole years with the benefit: (label, lowest, highest), open ended.
AGE_GROUPS = {"aktivitetsersattning": [("19-24", 19, 24), ("25-29", 25, 29)],
              "sjukpenning": [("20-29", 20, 29), ("30-49", 30, 49), ("50-64", 50, 64)]}
TIME_GROUPS = [("0", 0, 0), ("1-2", 1, 2), ("3+", 3, 99)]

# Rates are standardised to everyone with the benefit in this year (the models stage reads its register);
# when register.years does not hold it, to the last register year (pipeline.derive.models.standard_year).
STANDARD_YEAR = 2022
