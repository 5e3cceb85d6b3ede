"""The rubric files in rubrics/ are valid, and broken copies are reported by line."""

from __future__ import annotations

import shutil

import pytest

from trainer.authored import AuthoredFileError
from trainer.scoring.rubric import DIMENSIONS, FLAGS, default_rubric_dir, load_rubric


def test_rubric_has_every_dimension_and_flag(rubric):
    assert [d.name for d in rubric.dimensions.dimensions] == list(DIMENSIONS)
    assert {f.name for f in rubric.flags.flags} == set(FLAGS)
    for dim in rubric.dimensions.dimensions:
        assert sorted(dim.levels) == [0, 1, 2, 3]


def test_rubric_version_is_a_content_hash(rubric, tmp_path):
    copy = tmp_path / "rubrics"
    shutil.copytree(default_rubric_dir(), copy, ignore=shutil.ignore_patterns("corpus", "dev"))
    assert load_rubric(copy).version == rubric.version
    path = copy / "dimensions.yaml"
    path.write_text(path.read_text().replace("Solution focus", "Solution focus!"))
    assert load_rubric(copy).version != rubric.version


def test_broken_rubric_reports_file_and_line(tmp_path):
    copy = tmp_path / "rubrics"
    shutil.copytree(default_rubric_dir(), copy, ignore=shutil.ignore_patterns("corpus", "dev"))
    path = copy / "flags.yaml"
    lines = path.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if "caps: {service_level: 2}" in line)
    lines[index] = lines[index].replace("service_level: 2", "service_level: 7")
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(AuthoredFileError) as exc:
        load_rubric(copy)
    [problem] = exc.value.problems
    assert problem.path == str(path)
    assert "less than or equal to 4" in problem.message
    assert abs(problem.line - (index + 1)) <= 1


def test_invalid_regular_expression_is_refused(tmp_path):
    copy = tmp_path / "rubrics"
    shutil.copytree(default_rubric_dir(), copy, ignore=shutil.ignore_patterns("corpus", "dev"))
    path = copy / "phrases.yaml"
    path.write_text(path.read_text().replace("courtesy:\n", "courtesy:\n  - '(unclosed'\n"))
    with pytest.raises(AuthoredFileError, match="invalid regular expression"):
        load_rubric(copy)
