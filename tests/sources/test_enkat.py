"""The enkät: questionnaire checks, cleaning rules, errors naming file/line/column, scrubbing, demo."""

from __future__ import annotations

import re
import shutil

import pytest

from pipeline.sources.enkat import ALL, clean, compare_groups, load_survey, scale_distribution
from pipeline.demo.enkat_demo import PLANTED, generate_export
from pipeline.core.errors import ConfigError, InputError
from pipeline.core.privacy import find_personal_data, scrub

from ..conftest import REPO

SURVEY_DIR = REPO / "data" / "raw" / "enkat" / "2016"


@pytest.fixture
def survey_copy(tmp_path):
    target = tmp_path / "2016"
    shutil.copytree(SURVEY_DIR, target)
    return target


@pytest.fixture(scope="module")
def cleaned():
    survey = load_survey(SURVEY_DIR)
    return survey, clean(survey)


def _edit_export(folder, old: str, new: str, count: int = 1) -> None:
    path = folder / "export.csv"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def test_demo_export_is_the_generators_output_byte_for_byte():
    assert generate_export(load_survey(SURVEY_DIR)) == (SURVEY_DIR / "export.csv").read_text(encoding="utf-8")


def test_demo_carries_planted_personal_data_in_free_text():
    raw = (SURVEY_DIR / "export.csv").read_text(encoding="utf-8")
    assert all(p in raw for p in PLANTED)


def test_labels_become_positions_on_the_scale_and_vet_ej_stays_apart(cleaned):
    survey, data = cleaned
    a = data.answers[data.answers["question"] == "kartlaggning"]
    positions = dict(zip(a["answer"], a["position"]))
    assert positions["Inte alls viktigt"] == 1 and positions["Mycket viktigt"] == 4
    assert a.loc[a["answer"] == "Vet ej", "position"].isna().all()
    dist = scale_distribution(survey, data, "kartlaggning")
    everyone = dist[dist["group"] == ALL]
    assert everyone["label"].tolist()[-1] == "Vet ej" and everyone["dont_know"].tolist()[-1]
    assert everyone["count"].sum() == everyone["n"].iloc[0] == 159


def test_roles_are_grouped_and_multiple_choice_is_split(cleaned):
    survey, data = cleaned
    assert data.respondents.groupby("group")["role"].agg(lambda r: sorted(set(r))).to_dict() == {
        "Förbundschefer": ["Förbundschef/motsvarande"], "Styrelseledamöter": ["Ordförande", "Vice ordförande"]}
    picked = data.choices[data.choices["question"] == "atgarder"]
    assert picked["respondent"].nunique() == 154
    assert picked.groupby("respondent").size().max() > 1  # several options from one cell


def test_free_text_is_scrubbed_before_it_is_kept(cleaned):
    _, data = cleaned
    joined = "\n".join(data.texts["text"])
    assert not any(p in joined for p in PLANTED)
    assert find_personal_data(joined) == []
    assert "[personnummer borttaget]" in joined and "[e-postadress borttagen]" in joined
    log = dict(zip(data.log["step"], data.log["count"]))
    assert log["borttagna ur fritext: personnummer"] > 0 and log["borttagna ur fritext: telefon"] > 0


@pytest.mark.parametrize("text, kind", [
    ("19640315-2386", "personnummer"), ("196403152386", "personnummer"), ("640315-2386", "personnummer"),
    ("6403152386", "personnummer"), ("640315+2386", "personnummer"), ("640375-2386", "personnummer"),
    ("anna.berg@exempel.se", "e-post"), ("070-123 45 67", "telefon"), ("+46 70 123 45 67", "telefon"),
    ("08-123 456 78", "telefon"),
])
def test_scrub_removes_every_form(text, kind):
    scrubbed, counts = scrub(f"Kontakt: {text}.")
    assert text not in scrubbed and counts[kind] == 1


def test_scrub_leaves_numbers_that_are_not_personal_data():
    text = "År 2016 svarade 159 av 235 (68 %), uttag 2016-04-18, 1 485 deltagare."
    assert scrub(text) == (text, {"personnummer": 0, "e-post": 0, "telefon": 0, "namn": 0})


def test_unknown_label_names_label_question_and_row(survey_copy):
    _edit_export(survey_copy, ",Ganska väl,", ",Ganska bra,")
    with pytest.raises(InputError) as err:
        clean(load_survey(survey_copy))
    message = str(err.value)
    assert "export.csv, line " in message and "unknown label 'Ganska bra'" in message
    assert "question 'forankring_" in message and "column 'Hur väl förankrad" in message


def test_unknown_multiple_choice_option(survey_copy):
    _edit_export(survey_copy, "Nyanlända", "Nyanlända personer")
    with pytest.raises(InputError, match="unknown option 'Nyanlända personer'.*question 'riktade_omraden'"):
        clean(load_survey(survey_copy))


def test_missing_column_wrong_delimiter_and_encoding(survey_copy):
    path = survey_copy / "export.csv"
    text = path.read_text(encoding="utf-8")
    header, rest = text.split("\n", 1)
    path.write_text(header.replace(",Vilken part representerar du i styrelsen?", "") + "\n" + rest, encoding="utf-8")
    with pytest.raises(InputError, match="line 1: missing column\\(s\\): Vilken part representerar du i styrelsen\\?"):
        clean(load_survey(survey_copy))
    path.write_text(text.replace(",", ";"), encoding="utf-8")
    with pytest.raises(InputError, match="must be comma-separated"):
        clean(load_survey(survey_copy))
    path.write_bytes(text.encode("latin-1", errors="replace"))
    with pytest.raises(InputError, match="line 1, column .*: cannot be read as utf-8-sig"):
        clean(load_survey(survey_copy))


def test_question_asked_of_some_roles_only(survey_copy):
    survey = load_survey(survey_copy)
    data = clean(survey)
    chef = data.respondents.loc[data.respondents["role"] == "Förbundschef/motsvarande", "respondent"].iloc[0]
    text = (survey_copy / "export.csv").read_text(encoding="utf-8").splitlines()
    line = next(i for i, l in enumerate(text) if l.startswith(chef + ","))
    fields = text[line].split(",")
    fields[3] = "Kommun"  # the board-member question, answered by a förbundschef
    text[line] = ",".join(fields)
    (survey_copy / "export.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=f"line {line + 1}, .*only asked of Ordförande, Vice ordförande"):
        clean(load_survey(survey_copy))


def test_bad_questionnaire(survey_copy):
    path = survey_copy / "fragor.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("scale: vikt", "scale: betydelse", 1), encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown scale 'betydelse'"):
        load_survey(survey_copy)


def test_group_comparison_on_the_published_direction(cleaned):
    survey, data = cleaned
    riktade = compare_groups(survey, data, "riktade")
    assert riktade.test == "Fishers exakta test" and riktade.p_value < 0.05
    assert riktade.estimate == pytest.approx((41 * 12) / (31 * 48))  # board ja 41, nej 31; chefs ja 48, nej 12
    ordinal = compare_groups(survey, data, "kartlaggning")
    assert ordinal.test == "Ordinal logistisk regression" and 0 < ordinal.p_value < 1
    assert ordinal.n_first + ordinal.n_second == 151  # Vet ej left out


def test_every_free_text_question_has_synthetic_answers_that_need_scrubbing(cleaned):
    survey, data = cleaned
    for q in survey.of_kind("text"):
        assert (data.texts["question"] == q.id).sum() > 0, q.id
    log = dict(zip(data.log["step"], data.log["count"]))
    assert all(log[f"borttagna ur fritext: {kind}"] > 0 for kind in ("personnummer", "e-post", "telefon", "namn"))
    joined = "\n".join(data.texts["text"])
    assert "(at)" not in joined and "Svensson" not in joined and "174 06" not in joined


@pytest.mark.parametrize("old, new, message", [
    ("    published_n: 154", "    published_n: etthundra", "published_n must be a whole number or null"),
    ("    published_n: 154", "    published_n: 154\n    published_n_ocr: \"-4\"", "published_n_ocr is for an n"),
    ("    bild: [24]", "    bild: [0]", "bild must be a list of slide numbers"),
    ("    bild: [24]", "    bild: []", "a published n needs the slide"),
])
def test_bad_published_n_in_the_questionnaire(survey_copy, old, new, message):
    path = survey_copy / "fragor.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(ConfigError, match=f"questions\\[\\d+\\] \\(atgarder\\): {re.escape(message)}"):
        load_survey(survey_copy)


def test_slides_without_the_report_they_belong_to(survey_copy):
    path = survey_copy / "fragor.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("  appendix: förstudiens bilaga 3", "  # appendix removed"), encoding="utf-8")
    with pytest.raises(ConfigError, match="survey.appendix does not say which report"):
        load_survey(survey_copy)
