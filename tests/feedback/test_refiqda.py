"""REFI-QDA export: the codebook (.qdc) and coded text (.qdpx) parse back with the structure
NVivo, ATLAS.ti and MAXQDA read, and every coding covers exactly its comment."""

import io
import re
import uuid
import zipfile
from datetime import date
from xml.etree import ElementTree as ET  # parsing only the service's own output

from feedback.models import SourceType
from feedback.models.codebook import CodeStatus
from feedback.services import codebook, coding, refiqda, transaction
from feedback.services.segments import SegmentText, replace_for_source
from tests.feedback.themes_helpers import add_segments, code_row, confirm, make_agency, run_jobs

QDC = {"c": "urn:QDA-XML:codebook:1.0"}
QDE = {"p": "urn:QDA-XML:project:1.0"}
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def test_the_codebook_file_lists_every_theme_in_use_as_a_code(client, auth, partnership):
    auth.sign_in_as("analyst")
    codebook.ensure_codebook(partnership.id)
    codebook.retire_theme(codebook.get_theme(partnership.id, "recording"), None)

    response = client.get("/themes/codebook.qdc")

    assert response.status_code == 200
    assert 'filename="codebook.qdc"' in response.headers["Content-Disposition"]
    root = ET.fromstring(response.data)  # noqa: S314
    assert root.tag == "{urn:QDA-XML:codebook:1.0}CodeBook"
    codes = root.findall("c:Codes/c:Code", QDC)
    names = {c.get("name") for c in codes}
    assert len(codes) == 19 and "Neglect" in names and "Recording" not in names
    for code in codes:
        assert GUID.match(code.get("guid"))
        assert code.get("isCodable") == "true"
        assert re.match(r"^#[0-9A-F]{6}$", code.get("color"))
    neglect = next(c for c in codes if c.get("name") == "Neglect")
    description = neglect.find("c:Description", QDC).text
    assert "Indicators: neglect;" in description and "Priority: High." in description


def test_guids_are_stable_between_exports(partnership):
    first = ET.fromstring(refiqda.codebook_qdc(partnership.id))  # noqa: S314
    second = ET.fromstring(refiqda.codebook_qdc(partnership.id))  # noqa: S314
    assert [c.get("guid") for c in first.iter()] == [c.get("guid") for c in second.iter()]
    assert str(uuid.UUID(first.find("c:Codes/c:Code", QDC).get("guid")))


def _project(data):
    archive = zipfile.ZipFile(io.BytesIO(data))
    root = ET.fromstring(archive.read("project.qde"))  # noqa: S314
    return archive, root


def test_the_project_holds_sources_and_confirmed_codings_at_the_right_positions(
    client, auth, partnership
):
    analyst = auth.sign_in_as("analyst")
    police = make_agency(partnership)
    with transaction():
        segments = replace_for_source(
            partnership.id,
            SourceType.SCRUTINY_VISIT,
            "visit-7",
            [
                SegmentText("findings", "Neglect at home: head lice and no food.", "Findings"),
                SegmentText("actions", "Referral to the MASH took days — “slow”.", "Actions"),
            ],
            occurred_on=date(2027, 3, 2),
            agency_id=police.id,
        )
    [other] = add_segments(partnership, ["Poor home conditions: neglect again."])
    run_jobs("text_analysis")
    findings, actions = segments
    confirm(findings.id, "neglect", analyst)
    confirm(actions.id, "thresholds_referrals", analyst)
    assert code_row(other.id, "neglect").status == CodeStatus.SUGGESTED

    response = client.get("/themes/export.qdpx?source=scrutiny_visit")

    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    archive, root = _project(response.data)
    assert root.tag == "{urn:QDA-XML:project:1.0}Project"
    assert [child.tag.split("}")[1] for child in root] == [
        "Users",
        "CodeBook",
        "Variables",
        "Sources",
        "Description",
    ]
    codes = {c.get("guid"): c.get("name") for c in root.findall("p:CodeBook/p:Codes/p:Code", QDE)}
    users = {u.get("guid"): u.get("name") for u in root.findall("p:Users/p:User", QDE)}
    assert analyst.name in users.values()
    sources = root.findall("p:Sources/p:TextSource", QDE)
    assert len(sources) == 2  # the visit (two fields in one document) and the other note
    visit = next(s for s in sources if "visit-7"[:8] in s.get("name"))
    path = visit.get("plainTextPath")
    assert path == f"internal://{visit.get('guid')}.txt"
    text = archive.read(f"sources/{visit.get('guid')}.txt").decode("utf-8")
    assert text.startswith("Findings\nNeglect at home")
    child_tags = [c.tag.split("}")[1] for c in visit]
    assert child_tags == sorted(child_tags, key=["PlainTextSelection", "VariableValue"].index)

    coded = {}
    for selection in visit.findall("p:PlainTextSelection", QDE):
        start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
        for coding_el in selection.findall("p:Coding", QDE):
            assert users[coding_el.get("creatingUser")] == analyst.name
            target = coding_el.find("p:CodeRef", QDE).get("targetGUID")
            coded[codes[target]] = text[start:end]
    assert coded == {
        "Neglect": "Neglect at home: head lice and no food.",
        "Thresholds and referrals": "Referral to the MASH took days — “slow”.",
    }
    values = {
        v.find("p:VariableRef", QDE).get("targetGUID"): (v[1].tag.split("}")[1], v[1].text)
        for v in visit.findall("p:VariableValue", QDE)
    }
    variables = {v.get("guid"): v.get("name") for v in root.findall("p:Variables/p:Variable", QDE)}
    assert {variables[g]: value for g, value in values.items()} == {
        "Source": ("TextValue", "Scrutiny visits"),
        "Agency": ("TextValue", "Testshire Police"),
        "Date": ("DateValue", "2027-03-02"),
    }
    # A suggestion nobody confirmed is never exported as a coding.
    other_source = next(s for s in sources if s is not visit)
    assert other_source.findall("p:PlainTextSelection", QDE) == []


def test_the_export_follows_the_workbench_filters(partnership, make_user):
    add_segments(partnership, ["Neglect at home."])
    add_segments(partnership, ["A child's voice."], source=SourceType.VOICE)
    run_jobs("text_analysis")

    data = refiqda.project_qdpx(partnership.id, coding.SegmentFilters(source=SourceType.VOICE))

    archive, root = _project(data)
    sources = root.findall("p:Sources/p:TextSource", QDE)
    assert len(sources) == 1
    assert "Child and family voice" in root.find("p:Description", QDE).text
    assert [n for n in archive.namelist() if n.startswith("sources/")] == [
        f"sources/{sources[0].get('guid')}.txt"
    ]


def test_bad_export_filters_go_back_to_the_workbench_with_a_message(client, auth, partnership):
    auth.sign_in_as("analyst")

    response = client.get("/themes/export.qdpx?source=gossip", follow_redirects=True)

    assert response.status_code == 200
    assert "Fix the filters before exporting: Select a source from the list" in response.get_data(
        as_text=True
    )


def test_an_empty_selection_still_exports_a_valid_project(partnership):
    archive, root = _project(refiqda.project_qdpx(partnership.id, coding.SegmentFilters()))

    assert root.find("p:Sources", QDE) is None
    assert len(root.findall("p:CodeBook/p:Codes/p:Code", QDE)) == 20
    assert archive.namelist() == ["project.qde"]
