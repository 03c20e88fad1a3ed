"""Optional parts without their install extra: one line that says how to add them, never a
traceback. TensorFlow and CTranslate2 are hidden (a None entry in sys.modules makes a module
look absent and its import fail), not uninstalled."""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
from pathlib import Path

import pytest
from _trained_models import repo_env

import pipelines
from benchmarks import run as benchmark
from sersk import extras
from sersk.cli import main
from sersk.exceptions import MissingExtraError, SerskError

REPO = Path(__file__).resolve().parents[1]
HIDDEN = ("tensorflow", "scikeras", "ctranslate2")
NEURAL = {"crnn", "crnn-aug", "mel-cnn", "handcrafted-mlp", "handcrafted-mlp-smote"}

pytestmark = pytest.mark.filterwarnings(
    # MLflow 3.17's SQL store uses a loader strategy SQLAlchemy 2.1 deprecates (MLflow's code).
    "ignore:The ``noload`` loader strategy is deprecated:DeprecationWarning",
)


def run_cli(*argv: str) -> tuple[int, str, str]:
    """``sersk ARGV`` in this process: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(argv))
    return status, out.getvalue(), err.getvalue()


@pytest.fixture
def without_extras(monkeypatch):
    """TensorFlow, scikeras and CTranslate2 look uninstalled; no Whisper model is set."""
    for module in HIDDEN:
        monkeypatch.setitem(sys.modules, module, None)
    monkeypatch.delenv("SERSK_WHISPER_MODEL", raising=False)


def test_extras_are_those_of_pyproject():
    tomllib = pytest.importorskip("tomllib")
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    assert set(extras.EXTRAS) == set(declared) - {"test"}


def test_missing_modules_and_the_line(without_extras):
    assert extras.missing_modules("keras") == ["tensorflow", "scikeras"]
    line = extras.problem("keras")
    assert line.startswith("the keras extra is not installed (no tensorflow, scikeras): pip "
                           "install -e ")
    assert line.endswith('[keras]"')
    with pytest.raises(ValueError, match="no install extra named 'tf'; sersk's extras are"):
        extras.missing_modules("tf")


def test_install_command_in_a_checkout(monkeypatch, tmp_path):
    monkeypatch.chdir(REPO)
    assert extras.install_command("keras") == 'pip install -e ".[keras]"'
    monkeypatch.chdir(tmp_path)  # elsewhere, the checkout's path
    assert extras.install_command("keras", "whisper") == f'pip install -e "{REPO}[keras,whisper]"'


def test_require_raises_one_sersk_error_that_is_an_import_error(without_extras):
    with pytest.raises(MissingExtraError, match=r"^pipeline 'x' needs the keras extra, which is "
                       r"not installed \(no tensorflow, scikeras\): pip install .*\[keras\]"):
        extras.require("keras", "pipeline 'x'")
    assert issubclass(MissingExtraError, ImportError) and issubclass(MissingExtraError,
                                                                     SerskError)


def test_registry_says_what_each_pipeline_needs(without_extras):
    assert pipelines.needs("handcrafted-svm") == []
    for name in NEURAL:
        (need,) = pipelines.needs(name)
        assert need.what == "the keras extra" and need.extra == "keras"
        assert "pip install" in need.missing
    extra, model = pipelines.needs("whisper-logreg")
    assert extra.extra == "whisper" and "no ctranslate2" in extra.missing
    assert model.what == "a Whisper model" and model.extra is None
    assert "SERSK_WHISPER_MODEL" in model.missing
    assert [need.extra for need in pipelines.needs("whisper-mlp")] == ["whisper", "keras", None]


def test_registry_finds_what_is_installed(monkeypatch, tmp_path):
    monkeypatch.setattr(extras, "missing_modules", lambda extra: [])
    monkeypatch.setenv("SERSK_WHISPER_MODEL", str(tmp_path))
    assert all(need.missing is None for need in pipelines.needs("whisper-mlp"))


def test_make_refuses_in_one_line_and_describe_still_works(without_extras):
    with pytest.raises(MissingExtraError, match=r"pipeline 'crnn' needs the keras extra"):
        pipelines.make("crnn")
    text = pipelines.describe("crnn")
    assert "Needs:\n  the keras extra: the keras extra is not installed" in text
    assert "Steps: not shown here, without the keras extra" in text


def test_train_without_tensorflow_is_one_line(without_extras):
    status, out, err = run_cli("train", "crnn", "--corpus", "synthetic")
    assert status == 1 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("sersk: error: pipeline 'crnn' needs the keras extra, which is not "
                          "installed (no tensorflow, scikeras): pip install")


def test_pipelines_lists_what_each_needs(without_extras):
    status, out, _ = run_cli("pipelines")
    assert status == 0
    lines = out.splitlines()
    crnn = next(i for i, line in enumerate(lines) if line.startswith("crnn "))
    assert lines[crnn + 1].split() == ["needs", "the", "keras", "extra", "(not", "installed)"]
    whisper = next(i for i, line in enumerate(lines) if line.startswith("whisper-logreg "))
    assert lines[whisper + 1].strip() == ("needs the whisper extra (not installed), a Whisper "
                                          "model (not found)")
    svm = next(i for i, line in enumerate(lines) if line.startswith("handcrafted-svm "))
    assert not lines[svm + 1].startswith(" ")  # the core install runs it
    missing = lines[lines.index("Missing here:") + 1:]
    assert missing[0].startswith("  the keras extra is not installed (no tensorflow, scikeras)")
    assert missing[1].startswith("  the whisper extra is not installed (no ctranslate2)")
    assert "SERSK_WHISPER_MODEL" in missing[2] and len(missing) == 3


def test_pipelines_says_installed(monkeypatch, tmp_path):
    monkeypatch.setattr(extras, "missing_modules", lambda extra: [])
    monkeypatch.setenv("SERSK_WHISPER_MODEL", str(tmp_path))
    status, out, _ = run_cli("pipelines")
    assert status == 0 and "Missing here" not in out
    assert "needs the whisper extra (installed), the keras extra (installed), a Whisper model " \
           "(found)" in out


def test_benchmark_leaves_out_what_is_missing_and_refuses_it_by_name(without_extras, capsys):
    import argparse

    chosen = benchmark.choose_pipelines(argparse.Namespace(pipelines=None, whisper_model=None))
    assert {"handcrafted-svm", "handcrafted-xgb", "mfcc-svm"} <= set(chosen)
    assert not set(chosen) & NEURAL and not any(name.startswith("whisper") for name in chosen)
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2
    assert out[0].startswith("leaving out crnn, crnn-aug, handcrafted-mlp, handcrafted-mlp-"
                             "smote, mel-cnn, whisper-mlp: the keras extra is not installed")
    assert out[1].startswith("leaving out whisper-handcrafted-logreg, ")
    assert "the whisper extra is not installed" in out[1] and "no Whisper model" in out[1]
    with pytest.raises(benchmark.UsageError, match=r"^mel-cnn cannot run here: the keras extra"):
        benchmark.choose_pipelines(argparse.Namespace(pipelines=["mel-cnn", "mfcc-svm"],
                                                      whisper_model=None))


# The README's first command, `python -m benchmarks.run`, on the core install: a fresh process
# in which TensorFlow, scikeras and CTranslate2 cannot be imported.
_HIDE_AND_RUN = (
    "import sys\n"
    f"for module in {HIDDEN!r}:\n"
    "    sys.modules[module] = None\n"
    "from benchmarks.run import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def test_benchmark_default_set_without_extras_exits_0(tmp_path):
    env = repo_env()
    env.pop("SERSK_WHISPER_MODEL", None)
    env.pop("MLFLOW_TRACKING_URI", None)
    done = subprocess.run(
        [sys.executable, "-c", _HIDE_AND_RUN, "--corpus", "synthetic", "--synthetic-speakers",
         "4", "--synthetic-utterances", "2", "--folds", "2", "--no-mlflow", "--out",
         str(tmp_path / "bench")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    assert ('mel-cnn, whisper-mlp: the keras extra is not installed (no tensorflow, scikeras): '
            'pip install -e ".[keras]"') in done.stdout
    table = done.stdout.split("UAR (mean ± std)")[1]
    for name in ("handcrafted-svm", "handcrafted-xgb", "mfcc-svm"):
        assert f"synthetic  {name}" in table
    assert "crnn" not in table and "failed" not in table


def test_describe_without_tensorflow_from_the_command_line(without_extras):
    status, out, _ = run_cli("pipelines", "crnn")
    assert status == 0 and "Steps: not shown here" in out


def test_demo_without_streamlit_is_one_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "streamlit", None)
    status, out, err = run_cli("demo", "ser.joblib")  # the extra is checked first
    assert status == 1 and out == "" and err.count("\n") == 1
    assert err.startswith("sersk: error: sersk demo needs the demo extra, which is not "
                          "installed (no streamlit): pip install")


def test_keras_models_without_tensorflow_name_the_extra(without_extras, monkeypatch):
    import importlib

    monkeypatch.delitem(sys.modules, "sersk.models.keras", raising=False)
    with pytest.raises(MissingExtraError, match=r"^sersk.models.keras needs the keras extra"):
        importlib.import_module("sersk.models.keras")


def test_register_refuses_an_unknown_extra():
    spec = pipelines.PipelineSpec(name="x-unknown-extra", build=lambda: None, summary="x",
                                  extras=("tensorflow",))
    with pytest.raises(ValueError, match="no install extra named 'tensorflow'; sersk's extras"):
        pipelines.register(spec)
    assert "x-unknown-extra" not in pipelines.available()


def test_the_readme_installs_the_extras_ci_tests():
    # The README's full install and .ci/run's must name the same extras: a newcomer who follows
    # the README gets what CI tests.
    import re

    ci = re.search(r'pip install --quiet -e "\.\[([a-z0-9,]+)\]"', (REPO / ".ci/run").read_text())
    readme = re.search(r'pip install -e "\.\[([a-z0-9,]+)\]"\n',
                       (REPO / "README.md").read_text())
    assert ci and readme
    assert set(readme.group(1).split(",")) == set(ci.group(1).split(","))
    assert set(ci.group(1).split(",")) == {"test", *extras.EXTRAS}
