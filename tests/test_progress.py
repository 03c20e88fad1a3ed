"""Progress bars are drawn on terminals only: a redirected log gets no carriage returns and no
cursor-moving escape codes."""

from __future__ import annotations

import io
import subprocess
import sys

from _trained_models import repo_env

from sersk._progress import interactive, progress_bar


class _Terminal(io.StringIO):
    def isatty(self):
        super().isatty()  # ValueError once closed, as a real stream
        return True


def test_interactive_only_on_a_terminal(monkeypatch):
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    assert interactive(_Terminal())
    assert not interactive(io.StringIO())
    closed = _Terminal()
    closed.close()
    assert not interactive(closed)
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert progress_bar(range(3), desc="x").disable
    monkeypatch.setattr(sys, "stderr", _Terminal())
    assert not progress_bar(range(3), desc="x").disable
    assert progress_bar(range(3), desc="x", disable=True).disable


def test_nested_progress_bars_write_nothing_into_a_redirected_log():
    # Feature extraction's bar inside cross-validation's, as benchmarks.run nests them.
    code = """
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sersk.features import RMSEnergy
from sersk.model_selection import cross_validate_speakers
rng = np.random.default_rng(0)
clips = [(rng.standard_normal(16000) * (0.02 + 0.3 * (i % 2)), 16000) for i in range(16)]
y = np.array(["calm", "loud"] * 8)
speakers = np.repeat(["a", "b", "c", "d"], 4)
model = make_pipeline(RMSEnergy(verbose=True), LogisticRegression())
RMSEnergy(verbose=True).fit_transform(clips)
cross_validate_speakers(model, clips, y, speakers=speakers, n_splits=2, progress="cv")
print("done")
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=repo_env(), timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "done"
    assert "\r" not in done.stderr and "\x1b" not in done.stderr, repr(done.stderr[-500:])
