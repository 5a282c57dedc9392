"""Runs in the student's kernel before their first cell.

Seeds Python, NumPy and Keras (Keras and TensorFlow when the notebook first imports
them, so a kernel that never does pays nothing for them); selects the non-interactive
Agg backend and
captures every figure a cell draws (metadata to ``figures.jsonl``, a PNG beside
it, and the PNG shown in the cell's output as Jupyter's inline backend would);
makes ``keras.datasets.mnist.load_data()`` read the grader's local copy; keeps the
History of every ``fit`` call (at most ``MAX_FITS``) in the ``_grader_kernel``
module, so models trained in a loop and then overwritten are still seen by the probe,
and applies the training budget the budget cell sets there (``budget_src``).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib
import io
import json
import os
import random
import sys
import types
import warnings
from typing import Any

MNIST_MODULES = ("keras.datasets.mnist", "keras.src.datasets.mnist", "tf_keras.datasets.mnist")
KERNEL_STATE = "_grader_kernel"
MAX_FITS = 64


def cell_key(source: str) -> str:
    """Short hash of a cell's source: how the grader maps figures and fits back to cells."""
    return hashlib.sha1(source.encode("utf-8")).hexdigest()[:16]


def kernel_state() -> Any:
    """The grader's state in the kernel: a module holding the current cell key and the fit log.

    Typed ``Any``: its attributes (``cell``, ``fits``, ``when_imported``) are set at run time.
    """
    state = sys.modules.get(KERNEL_STATE)
    if state is None:
        state = types.ModuleType(KERNEL_STATE)
        state.cell = None  # type: ignore[attr-defined]
        state.fits = []  # type: ignore[attr-defined]
        sys.modules[KERNEL_STATE] = state
    return state


def record_fits(keras: Any, state: Any) -> None:
    """Wrap ``keras.Model.fit``: keep each call's History with its cell; apply the budget.

    The profile's training budget (``state.budget``, set by the budget cell when the
    profile has one) shortens any notebook; what the student asked for is recorded
    beside what ran (``epochs_requested``, ``samples_given``).
    """
    original = keras.Model.fit
    if getattr(original, "_grader_wrapped", False):
        return

    @functools.wraps(original)
    def fit(self: Any, *args: Any, **kwargs: Any) -> Any:
        asked = given = None
        budget = getattr(state, "budget", None)
        if budget is not None:
            earlier = sum(1 for f in state.fits if f["cell"] == state.cell)
            args, asked, given = budget(keras, args, kwargs, earlier)
        history = original(self, *args, **kwargs)
        if len(state.fits) < MAX_FITS:
            state.fits.append({"history": history, "model": self, "cell": state.cell,
                               "epochs_requested": asked, "samples_given": given})
        return history

    fit._grader_wrapped = True  # type: ignore[attr-defined]
    keras.Model.fit = fit


def _said_instead(state: types.ModuleType, shim: str, code: str, note: str) -> None:
    """Say what the grader did instead of a call that only draws or logs.

    In the cell's output, and in the kernel's list of translations (``shims``), which
    the report lists.
    """
    shims = getattr(state, "shims", None)
    if not isinstance(shims, list):
        shims = []
        setattr(state, "shims", shims)  # noqa: B010 - a module's dynamic attribute
    shims.append({"shim": shim, "cell": state.cell, "line": None, "code": code,
                  "modern": note})
    print(f"[grader] {note}")


def inert_tensorboard(keras: Any, state: types.ModuleType, installed: bool | None = None) -> None:
    """A ``TensorBoard`` callback logs nothing where TensorBoard is not installed.

    Courses pass one to every ``fit`` (ZHAW's notebooks do); without the package Keras
    raises at the first epoch, and the training, its history and every later cell
    are lost. Here the callback is kept, inert (training is unchanged), with a note.
    """
    callbacks: Any = getattr(keras, "callbacks", None)
    original = getattr(callbacks, "TensorBoard", None)
    if original is None or getattr(original, "_grader_wrapped", False):
        return
    if installed is None:
        import importlib.util

        try:
            installed = importlib.util.find_spec("tensorboard") is not None
        except (ImportError, ValueError):
            installed = False
    if installed:
        return

    class TensorBoard(callbacks.Callback):
        _grader_wrapped = True

        def __init__(self, log_dir: Any = "logs", *args: Any, **kwargs: Any) -> None:
            super().__init__()
            self.log_dir = log_dir
            _said_instead(state, "tensorboard", "TensorBoard(...)",
                          "TensorBoard is not installed where the grader runs: this callback "
                          "logs nothing here (the training is the same)")

    callbacks.TensorBoard = TensorBoard


def safe_drawing(keras: Any, state: types.ModuleType) -> None:
    """``plot_model`` never takes a cell down: where it cannot draw, a note instead.

    It needs pydot and Graphviz's ``dot``; the grader has both, but a kernel
    environment of a pack's own may not. The note goes to the cell's output and to the
    kernel's list of translations (``shims``), which the report lists.
    """
    utils = getattr(keras, "utils", None)
    original = getattr(utils, "plot_model", None)
    if utils is None or original is None or getattr(original, "_grader_wrapped", False):
        return

    def plot_model(*args: Any, **kwargs: Any) -> Any:
        try:
            return original(*args, **kwargs)
        except (ImportError, OSError, RuntimeError, ValueError) as exc:
            _said_instead(state, "plot_model", "plot_model(...)",
                          f"plot_model could not draw here ({type(exc).__name__}: "
                          f"{str(exc)[:160]}); the grader skipped the drawing")
            return None

    plot_model._grader_wrapped = True  # type: ignore[attr-defined]
    utils.plot_model = plot_model
    vis = getattr(utils, "vis_utils", None)  # Keras 2's home of it
    if vis is not None and hasattr(vis, "plot_model"):
        vis.plot_model = plot_model


COLAB_NOTE = "[grader] ran on Colab, skipped here: {what} (the grader is not Colab)"


def colab_stand_in() -> None:
    """``google.colab`` where it is not installed: ``drive.mount`` and friends, skipped.

    A notebook written on Colab mounts Drive or asks for uploads in its first cells;
    outside Colab that import fails and takes every later cell's names with it. Here
    each such call prints that it was skipped, and the notebook goes on (files it
    would have read from Drive are still missing, and their cells say so).
    """
    if "google.colab" in sys.modules:
        return
    try:
        import importlib.util

        if importlib.util.find_spec("google.colab") is not None:
            return
    except (ImportError, ValueError):
        pass

    def skipped(what: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> None:
            print(COLAB_NOTE.format(what=what))

        return call

    try:  # the real namespace package (protobuf lives in it): never hide it
        google = importlib.import_module("google")
    except ImportError:
        google = types.ModuleType("google")
        google.__path__ = []
    colab = types.ModuleType("google.colab")
    colab.drive = types.SimpleNamespace(  # type: ignore[attr-defined]
        mount=skipped("drive.mount"), flush_and_unmount=skipped("drive.flush_and_unmount"))
    colab.files = types.SimpleNamespace(  # type: ignore[attr-defined]
        upload=lambda *a, **k: (print(COLAB_NOTE.format(what="files.upload")), {})[1],
        download=skipped("files.download"))
    colab.output = types.SimpleNamespace(  # type: ignore[attr-defined]
        enable_custom_widget_manager=skipped("output.enable_custom_widget_manager"),
        clear=skipped("output.clear"))
    colab.__grader_stand_in__ = True  # type: ignore[attr-defined]
    sys.modules.setdefault("google", google)
    google.colab = colab  # type: ignore[attr-defined]
    sys.modules["google.colab"] = colab
    for name in ("drive", "files", "output"):
        sub = types.ModuleType(f"google.colab.{name}")
        for attr, value in vars(getattr(colab, name)).items():
            setattr(sub, attr, value)
        sys.modules[f"google.colab.{name}"] = sub


def describe_figure(fig: Any, number: int) -> dict[str, Any]:
    """Plain-data description of a matplotlib figure: axes, titles, lines and images."""
    axes = []
    for ax in fig.axes:
        images = [list(im.get_array().shape[:2]) for im in ax.get_images()]
        for coll in ax.collections:
            if type(coll).__name__ == "QuadMesh":
                rows, cols = coll.get_coordinates().shape[:2]
                images.append([rows - 1, cols - 1])
        legend = ax.get_legend()
        axes.append({
            "title": ax.get_title(),
            "xlabel": ax.get_xlabel(),
            "ylabel": ax.get_ylabel(),
            "lines": [str(line.get_label()) for line in ax.get_lines()],
            "line_points": [len(line.get_xdata()) for line in ax.get_lines()],
            "images": images,
            "legend": [t.get_text() for t in legend.get_texts()] if legend else [],
            "xscale": ax.get_xscale(),
            **_bands(ax),
        })
    suptitle = fig._suptitle.get_text() if getattr(fig, "_suptitle", None) else ""
    title = suptitle or next((a["title"] for a in axes if a["title"]), "")
    return {"number": number, "title": title, "axes": axes}


def _bands(ax: Any) -> dict[str, int]:
    """Error bars and shaded bands (``fill_between``) drawn on an axis."""
    errorbars = sum(1 for c in ax.containers if type(c).__name__ == "ErrorbarContainer")
    fills = sum(1 for c in ax.collections
                if type(c).__name__ in ("PolyCollection", "FillBetweenPolyCollection"))
    return {"errorbars": errorbars, "fills": fills}


class FigureCapture:
    """Records each figure once per cell, then shows and closes it like the inline backend."""

    def __init__(self, out_dir: str) -> None:
        self.out_dir = out_dir
        self.count = 0
        self.seen: dict[int, int] = {}
        os.makedirs(out_dir, exist_ok=True)

    def capture(self, display: bool) -> None:
        """Describe and save every open figure; show it in the cell's output if asked."""
        import matplotlib.pyplot as plt

        for num in plt.get_fignums():
            fig = plt.figure(num)
            number = self.seen.get(id(fig))
            if number is None:
                self.count += 1
                number = self.seen[id(fig)] = self.count
            record = describe_figure(fig, number)
            record["cell"] = kernel_state().cell
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=72, bbox_inches="tight")
            record["file"] = f"figure-{number}.png"
            with open(os.path.join(self.out_dir, record["file"]), "wb") as f:
                f.write(buf.getvalue())
            with open(os.path.join(self.out_dir, "figures.jsonl"), "a", encoding="utf-8") as f:
                f.write(json.dumps(record) + "\n")
            if display:
                from IPython.display import Image
                from IPython.display import display as show

                show(Image(data=buf.getvalue(), format="png"))

    def after_cell(self) -> None:
        """After each cell: capture, then show and close figures when the backend is Agg.

        A figure that cannot be described is noted in ``figures.jsonl``; it never
        turns the student's cell into a failure.
        """
        import matplotlib
        import matplotlib.pyplot as plt

        agg = matplotlib.get_backend().lower() == "agg"
        try:
            self.capture(display=agg)
        except Exception as exc:  # noqa: BLE001 - student figures can be anything
            with open(os.path.join(self.out_dir, "figures.jsonl"), "a", encoding="utf-8") as f:
                f.write(json.dumps({"capture_error": f"{type(exc).__name__}: {exc}"}) + "\n")
        finally:
            if agg:
                plt.close("all")
            self.seen.clear()


def keep_agg(line: str = "") -> None:
    """``%matplotlib``, whatever backend it names: the grader's Agg stays.

    No window can open in the grader, and ipympl or Qt may not be installed there:
    ``%matplotlib qt`` or ``widget`` would fail the student's import cell. Figures are
    captured and shown after each cell as the inline backend would show them.
    """
    backend = line.strip()
    if backend not in ("", "inline"):
        print(f"grader: `%matplotlib {backend}` has no window here; figures are shown "
              "inline.")


def tensorflow_version(line: str = "") -> None:
    """Colab's ``%tensorflow_version 2.x``: not a magic outside Colab, so a no-op with a note.

    Notebooks from Colab's first years start their import cell with it; unknown, it
    would fail that whole cell.
    """
    print(f"grader: `%tensorflow_version {line.strip()}` is Colab's; this kernel has the "
          "grader's TensorFlow.")


def offline_mnist(source: str) -> None:
    """Point every public spelling of ``mnist.load_data`` at the grader's copy (``source``)."""
    import numpy as np

    def load_data(path: str = "mnist.npz") -> tuple:
        """Load MNIST from the grader's local copy (no download).

        Keras' own signature: ``path`` names a cache file, which the grader's copy replaces.
        """
        with np.load(source, allow_pickle=False) as f:
            return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])

    for name in MNIST_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        module.load_data = load_data  # type: ignore[attr-defined]


class OnImport:
    """A one-shot import hook: runs ``callback(module)`` right after ``name`` is first imported."""

    def __init__(self, name: str, callback: Any) -> None:
        self.name, self.callback, self.busy = name, callback, False

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        """Find ``name`` with the other finders and wrap its loader; ignore everything else.

        Libraries look modules up without importing them (``importlib.util.find_spec``),
        so the hook stays until the module is really executed.
        """
        if fullname != self.name or self.busy:
            return None
        import importlib.util

        self.busy = True
        try:
            spec = importlib.util.find_spec(fullname)
        finally:
            self.busy = False
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        original, hook = spec.loader.exec_module, self

        def exec_module(module: types.ModuleType) -> None:
            original(module)
            if hook in sys.meta_path:
                sys.meta_path.remove(hook)
                hook.callback(module)

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def when_imported(name: str, callback: Any) -> None:
    """Run ``callback(module)`` now if ``name`` is imported, else right after its import."""
    if name in sys.modules:
        callback(sys.modules[name])
    else:
        sys.meta_path.insert(0, OnImport(name, callback))


def main(cfg: dict[str, Any]) -> None:
    """Prepare the kernel; ``cfg`` holds ``seed``, ``mnist_path`` and ``figures_dir``."""
    from IPython import get_ipython

    seed = int(cfg["seed"])
    random.seed(seed)
    import numpy as np

    np.random.seed(seed)
    capture = FigureCapture(cfg["figures_dir"])
    colab_stand_in()
    state = kernel_state()
    state.when_imported = when_imported  # for the compat cell
    ip = get_ipython()
    if ip is not None:

        def before_cell(info: Any) -> None:
            state.cell = cell_key(getattr(info, "raw_cell", "") or "")

        ip.events.register("pre_run_cell", before_cell)
        ip.events.register("post_execute", capture.after_cell)
        ip.register_magic_function(keep_agg, "line", "matplotlib")
        ip.register_magic_function(tensorflow_version, "line", "tensorflow_version")
    import matplotlib

    matplotlib.use("Agg")
    warnings.filterwarnings("ignore", message=".*non-interactive.*")
    import matplotlib.pyplot as plt

    original_show = plt.show

    def show(*args: Any, **kwargs: Any) -> Any:
        capture.capture(display=False)
        return original_show(*args, **kwargs)

    plt.show = show

    def seed_tensorflow(tf: Any) -> None:
        tf.random.set_seed(seed)

    def prepare_keras(keras: Any) -> None:
        with contextlib.suppress(Exception):  # mid-import of TensorFlow: its own hook seeds
            keras.utils.set_random_seed(seed)
        record_fits(keras, state)
        safe_drawing(keras, state)
        inert_tensorboard(keras, state)
        offline_mnist(cfg["mnist_path"])

    when_imported("tensorflow", seed_tensorflow)
    when_imported("keras", prepare_keras)
