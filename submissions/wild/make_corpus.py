"""Write the wild corpus: notebooks in the styles real students use, and what a TA finds.

Run from the repository root: ``python submissions/wild/make_corpus.py``. Each notebook
``<pack>/<name>.ipynb`` gets ``<pack>/<name>.truth.toml``: per question, whether a
careful teaching assistant finds a written answer (``present``, ``absent``, or
``placeholder`` for a heading left with placeholder text), the notebook cells
(numbered from 1) that hold it, and how it is marked (``label``, ``comments`` or
``unlabelled``), and per question with automatic points the points a careful TA
gives the code's work (``[points]``: what the student did, never what the starter
gave). The notebooks are written fresh from the styles the issue names; no
student's work is copied. Code cells follow each course's real starter (variable
names, data loading, training calls) so that the same files can be executed.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent


class Book:
    """A notebook being written, with the cells that hold each question's answer."""

    def __init__(self, style: str) -> None:
        self.style = style
        self.cells: list[dict] = []
        self.truth: dict[str, dict] = {}
        self.fair: dict[str, float] = {}
        self.graded: dict[str, int] = {}  # question: the cell that trained its model

    def md(self, text: str, answers: tuple[str, ...] = (), how: str = "label") -> Book:
        self.cells.append({"cell_type": "markdown", "metadata": {}, "source": text.strip()})
        for q in answers:
            entry = self.truth.setdefault(q, {"answer": "present", "cells": [], "how": how})
            entry["cells"].append(len(self.cells))
        return self

    def code(self, src: str, answers: tuple[str, ...] = ()) -> Book:
        self.cells.append({"cell_type": "code", "metadata": {}, "execution_count": None,
                           "outputs": [], "source": src.strip()})
        for block, credit in FAIR.items():  # a block with the student's comments too
            for q, points in (credit.items() if block in src else ()):
                self.fair[q] = self.fair.get(q, 0.0) + points
        for block, questions in GRADED.items():
            for q in (questions if block in src else ()):
                self.graded[q] = len(self.cells)
        for q in answers:
            entry = self.truth.setdefault(q, {"answer": "present", "cells": [],
                                              "how": "comments"})
            entry["cells"].append(len(self.cells))
        return self

    def placeholder(self, *questions: str) -> Book:
        for q in questions:
            self.truth[q] = {"answer": "placeholder", "cells": [], "how": "label"}
        return self

    def write(self, pack: str, name: str, questions: list[str], truth: bool = True,
              notebook: bool = True) -> None:
        """Write the notebook and its truth file (answers, then the fair automatic points)."""
        folder = HERE / pack
        folder.mkdir(parents=True, exist_ok=True)
        if notebook:
            nb = {"cells": self.cells, "metadata": {
                "kernelspec": {"display_name": "Python 3", "language": "python",
                               "name": "python3"},
                "language_info": {"name": "python"}}, "nbformat": 4, "nbformat_minor": 5}
            for n, cell in enumerate(nb["cells"]):
                cell["id"] = f"c{n:03d}"
            (folder / f"{name}.ipynb").write_text(
                json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
        if not truth:
            return
        lines = [f"# {name}{'.ipynb' if notebook else '/'}: what a careful teaching assistant "
                 "finds",
                 f"style = {json.dumps(self.style, ensure_ascii=False)}", ""]
        for q in questions:
            t = self.truth.get(q, {"answer": "absent", "cells": [], "how": "label"})
            lines += [f"[answers.{q}]", f'answer = "{t["answer"]}"',
                      f"cells = {json.dumps(t['cells'])}", f'how = "{t["how"]}"', ""]
        fair = dict(self.fair)
        if pack == "dat405_a7" and self.truth.get("q2a_model", {}).get("answer") == "present":
            fair["q2a_model"] = 0.5  # every 2A answer here states 55050, 3 layers, 64 units
        lines += ["# automatic points a careful TA gives the student's own work", "[points]"]
        lines += [f"{q} = {fair.get(q, 0.0):g}" for q in AUTOMATIC[pack]] + [""]
        lines += ["# the cell that trained the model a careful TA grades (0: none of the "
                  "student's own)", "[graded]"]
        lines += [f"{q} = {self.graded.get(q, 0)}" for q in SELECTED[pack]] + [""]
        (folder / f"{name}.truth.toml").write_text("\n".join(lines))


def write_parts(pack: str, name: str, style: str, parts: list[tuple[str, Book]],
                questions: list[str]) -> None:
    """A student of an assignment of several notebooks: a folder of them, one truth file.

    The truth numbers the cells of the notebook the grader joins the parts into: each
    part opens with a cell of the grader's, then the part's own cells.
    """
    folder = HERE / pack / name
    folder.mkdir(parents=True, exist_ok=True)
    joined = Book(style)
    offset = 0
    for file_name, book in parts:
        offset += 1  # the grader's opening cell of the part
        for q, t in book.truth.items():
            entry = joined.truth.setdefault(q, {"answer": t["answer"], "cells": [],
                                                "how": t["how"]})
            entry["cells"] += [c + offset for c in t["cells"]]
        for q, points in book.fair.items():
            joined.fair[q] = joined.fair.get(q, 0.0) + points
        for q, cell in book.graded.items():
            joined.graded[q] = cell + offset
        book.write(pack, f"{name}/{Path(file_name).stem}", [], truth=False)
        offset += len(book.cells)
    joined.cells = [{}] * offset  # only counted: the truth file is written from it
    joined.write(pack, name, questions, notebook=False)


# ---------------------------------------------------------------- DAT405 (Chalmers)

DAT_Q = ["q1_preprocessing", "q2a_model", "q2b_loss", "q2d_weight_decay", "q3_cnn",
         "q4a_autoencoder", "q4b_examples", "q4c_denoising", "q4d_generate"]
A = {
    "q1_preprocessing": "The pixel values are divided by 255 so that every input lies between "
    "0 and 1; SGD behaves much better with small inputs. The labels are one-hot encoded "
    "with to_categorical since the loss expects a probability vector per image.",
    "q2a_model": "There are three Dense layers: two hidden layers of 64 neurons with ReLU and "
    "an output layer of 10 neurons with softmax. Flatten turns the 28x28 image into 784 "
    "inputs. Parameters: 784*64+64 + 64*64+64 + 64*10+10 = 55050. ReLU avoids vanishing "
    "gradients, softmax gives class probabilities.",
    "q2b_loss": "Categorical cross-entropy, L = -sum_i y_i log(p_i), where y is the one-hot "
    "label and p the softmax output. It punishes confident wrong answers heavily and fits "
    "a probabilistic multi-class output.",
    "q2d_weight_decay": "Our best mean accuracy was 0.9821 with factor 1e-5, a little below "
    "Hinton's 0.9847. He trained far longer and used a different learning rate schedule, "
    "so the gap is expected.",
    "q3_cnn": "The CNN reached 99.1 % on the test set after 12 epochs. Convolutions share "
    "weights across the image and keep the spatial neighbourhood, so they need fewer "
    "parameters and generalise better than the dense network.",
    "q4a_autoencoder": "The autoencoder squeezes the 784 pixels through a 96 dimensional "
    "latent space and learns to output the clean digit from a noisy one. Binary "
    "cross-entropy compares each output pixel with the clean pixel value.",
    "q4b_examples": "From noise level 0.6 I can hardly recognise the digits myself. The "
    "denoiser still recovers most of them up to about 0.7, after that the outputs turn "
    "into blurry averages of several digits.",
    "q4c_denoising": "Yes. On noisy inputs the accuracy falls quickly after 0.3, while on "
    "the denoised inputs it stays above 90 % until 0.6. At zero noise both curves are "
    "the same.",
    "q4d_generate": "We sample random latent vectors around the mean of the encoded training "
    "images and pass them through the decoder alone, which turns them into new digit-like "
    "images.",
}

DAT_IMPORTS = """import keras
from keras.datasets import mnist
from keras.models import Sequential
from keras.layers import Dense, Dropout, Flatten
from keras.layers import Conv2D, MaxPooling2D
from keras import backend as K
import tensorflow as tf
import numpy as np
import matplotlib.pyplot as plt"""
DAT_DATA = """batch_size = 128
num_classes = 10
epochs = 10
img_rows, img_cols = 28, 28
(x_train, lbl_train), (x_test, lbl_test) = mnist.load_data()
x_train = x_train.reshape(x_train.shape[0], img_rows, img_cols, 1)
x_test = x_test.reshape(x_test.shape[0], img_rows, img_cols, 1)
input_shape = (img_rows, img_cols, 1)"""
DAT_PRE = """x_train = x_train.astype('float32')
x_test = x_test.astype('float32')
x_train /= 255
x_test /= 255
y_train = keras.utils.to_categorical(lbl_train, num_classes)
y_test = keras.utils.to_categorical(lbl_test, num_classes)"""
DAT_MODEL = """model = Sequential()
model.add(Flatten())
model.add(Dense(64, activation = 'relu'))
model.add(Dense(64, activation = 'relu'))
model.add(Dense(num_classes, activation='softmax'))
model.compile(loss=keras.losses.categorical_crossentropy,
              optimizer=keras.optimizers.SGD(learning_rate = 0.1),
              metrics=['accuracy'])
fit_info = model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs,
                     verbose=1, validation_data=(x_test, y_test))
score = model.evaluate(x_test, y_test, verbose=0)
print('Test loss: {}, Test accuracy {}'.format(score[0], score[1]))"""
DAT_CURVES = """plt.plot(fit_info.history['accuracy'], label='train')
plt.plot(fit_info.history['val_accuracy'], label='validation')
plt.xlabel('epoch'); plt.ylabel('accuracy'); plt.legend(); plt.show()"""
DAT_SWEEP = """factors = [1e-6, 1e-5, 1e-4, 5e-4, 1e-3]
accs = {}
for f in factors:
    accs[f] = []
    for rep in range(3):
        model = Sequential([Flatten(),
            Dense(500, activation='relu', kernel_regularizer=keras.regularizers.l2(f)),
            Dense(300, activation='relu', kernel_regularizer=keras.regularizers.l2(f)),
            Dense(10, activation='softmax')])
        model.compile(loss='categorical_crossentropy',
                      optimizer=keras.optimizers.SGD(learning_rate=0.1), metrics=['accuracy'])
        fit_info = model.fit(x_train, y_train, batch_size=batch_size, epochs=40, verbose=0,
                             validation_data=(x_test, y_test))
        accs[f].append(fit_info.history['val_accuracy'][-1])
means = [np.mean(accs[f]) for f in factors]
stds = [np.std(accs[f]) for f in factors]
plt.errorbar(factors, means, yerr=stds, capsize=4); plt.xscale('log')
plt.axhline(0.9847, color='r', ls='--'); plt.show()"""
DAT_CNN = """model = Sequential([
    Conv2D(32, (3, 3), activation='relu', input_shape=input_shape),
    MaxPooling2D((2, 2)),
    Conv2D(64, (3, 3), activation='relu'),
    MaxPooling2D((2, 2)),
    Flatten(), Dropout(0.3), Dense(128, activation='relu'),
    Dense(num_classes, activation='softmax')])
model.compile(loss='categorical_crossentropy', optimizer='adam', metrics=['accuracy'])
fit_info = model.fit(x_train, y_train, batch_size=128, epochs=12,
                     validation_data=(x_test, y_test))"""
DAT_AE = """def salt_and_pepper(input, noise_level=0.5):
    # salt and pepper noise as in the course notebook
    a = np.random.binomial(size=input.shape, n=1, p=(1 - noise_level))
    b = np.random.binomial(size=input.shape, n=1, p=0.5)
    c = (a == 0) * b
    return input * a + c

flattened_x_train = x_train.reshape(-1, 784)
flattened_x_train_seasoned = salt_and_pepper(flattened_x_train, noise_level=0.4)
flattened_x_test = x_test.reshape(-1, 784)
flattened_x_test_seasoneed = salt_and_pepper(flattened_x_test, noise_level=0.4)

latent_dim = 96
input_image = keras.Input(shape=(784,))
encoded = Dense(128, activation='relu')(input_image)
encoded = Dense(latent_dim, activation='relu')(encoded)
decoder_layer1 = Dense(128, activation='relu')
decoder_layer2 = Dense(784, activation='sigmoid')
decoded = decoder_layer2(decoder_layer1(encoded))
autoencoder = keras.Model(input_image, decoded)
encoder_only = keras.Model(input_image, encoded)
encoded_input = keras.Input(shape=(latent_dim,))
decoder = keras.Model(encoded_input, decoder_layer2(decoder_layer1(encoded_input)))
autoencoder.compile(optimizer='adam', loss='binary_crossentropy')
fit_info_AE = autoencoder.fit(flattened_x_train_seasoned, flattened_x_train, epochs=32,
                              batch_size=64, shuffle=True,
                              validation_data=(flattened_x_test_seasoneed, flattened_x_test))"""
DAT_EXAMPLES = """fig, ax = plt.subplots(3, 6, figsize=(9, 5))
for i, level in enumerate([0.2, 0.4, 0.6, 0.7, 0.8, 0.9]):
    noisy = salt_and_pepper(flattened_x_test[:1], level)
    ax[0, i].imshow(flattened_x_test[0].reshape(28, 28), cmap='gray')
    ax[1, i].imshow(noisy.reshape(28, 28), cmap='gray')
    ax[2, i].imshow(autoencoder.predict(noisy).reshape(28, 28), cmap='gray')
plt.show()"""
DAT_CURVE = """levels = np.arange(0, 1.01, 0.1)
noisy_acc, denoised_acc = [], []
for level in levels:
    noisy = salt_and_pepper(flattened_x_test[:2000], level)
    noisy_acc.append(model.evaluate(noisy.reshape(-1, 28, 28, 1), y_test[:2000], verbose=0)[1])
    clean = autoencoder.predict(noisy, verbose=0)
    denoised_acc.append(model.evaluate(clean.reshape(-1, 28, 28, 1), y_test[:2000], verbose=0)[1])
plt.plot(levels, noisy_acc, label='noisy'); plt.plot(levels, denoised_acc, label='denoised')
plt.legend(); plt.show()"""
DAT_GEN = """codes = encoder_only.predict(flattened_x_train[:1000], verbose=0)
samples = np.random.normal(codes.mean(0), codes.std(0), size=(8, latent_dim))
generated = decoder.predict(samples, verbose=0)
fig, ax = plt.subplots(1, 8, figsize=(12, 2))
for i in range(8):
    ax[i].imshow(generated[i].reshape(28, 28), cmap='gray')
plt.show()"""

# The same work as a Colab student writes it in Keras 2 (the course's real starter
# compiles `SGD(lr = 0.1)`): legacy optimizers, `lr=`, `AveragePooling2D()` with Keras 2's
# default pool, `plot_model`, `keras.preprocessing.image`, an assert on load_data's shapes.
DAT_COLAB = ["from google.colab import drive\ndrive.mount('/content/drive')",
             "%tensorflow_version 2.x",
             "%%capture\n!pip install -q pydot graphviz",
             "!nvidia-smi"]
DAT_IMPORTS_K2 = DAT_IMPORTS + """
from keras.layers import AveragePooling2D
from keras.preprocessing.image import ImageDataGenerator
from keras.utils import plot_model"""
DAT_DATA_K2 = """batch_size = 128
num_classes = 10
epochs = 10
img_rows, img_cols = 28, 28
(x_train, lbl_train), (x_test, lbl_test) = mnist.load_data()
assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
print(x_train.shape[0], 'train samples')
x_train = x_train.reshape(x_train.shape[0], img_rows, img_cols, 1)
x_test = x_test.reshape(x_test.shape[0], img_rows, img_cols, 1)
input_shape = (img_rows, img_cols, 1)"""
DAT_MODEL_K2 = DAT_MODEL.replace("keras.optimizers.SGD(learning_rate = 0.1)",
                                 "keras.optimizers.legacy.SGD(lr = 0.1)")
DAT_SWEEP_K2 = DAT_SWEEP.replace("keras.optimizers.SGD(learning_rate=0.1)",
                                 "keras.optimizers.legacy.SGD(lr=0.1)")
DAT_CNN_K2 = """model = Sequential([
    Conv2D(32, (3, 3), activation='relu', input_shape=input_shape),
    AveragePooling2D(),
    Conv2D(64, (3, 3), activation='relu'),
    AveragePooling2D(),
    Flatten(), Dropout(0.3), Dense(128, activation='relu'),
    Dense(num_classes, activation='softmax')])
model.compile(loss='categorical_crossentropy', optimizer=keras.optimizers.legacy.Adam(lr=1e-3),
              metrics=['accuracy'])
plot_model(model, to_file='cnn.png', show_shapes=True)
fit_info = model.fit(x_train, y_train, batch_size=128, epochs=12,
                     validation_data=(x_test, y_test))"""

# What each block of work earns of the automatic points (the fast profile's checks). The
# course's own network and autoencoder are given: running them earns nothing.
FAIR: dict[str, dict[str, float]] = {
    DAT_CURVES: {"q2c_curves": 1.0},
    DAT_SWEEP: {"q2d_weight_decay": 1.25},
    DAT_SWEEP_K2: {"q2d_weight_decay": 1.25},
    DAT_CNN: {"q3_cnn": 1.5},
    DAT_CNN_K2: {"q3_cnn": 1.5},
    DAT_EXAMPLES: {"q4b_examples": 0.25},
    DAT_CURVE: {"q4c_denoising": 0.75},
    DAT_GEN: {"q4d_generate": 0.25},
}
# The model a TA grades for each question that selects one: the cell of the block that
# trains it (the course's own network counts for 2C, whose curves are of it).
GRADED: dict[str, tuple[str, ...]] = {
    DAT_MODEL: ("q2c_curves",), DAT_SWEEP: ("q2d_weight_decay",), DAT_CNN: ("q3_cnn",),
    DAT_AE: ("q4c_denoising",), DAT_MODEL_K2: ("q2c_curves",),
    DAT_SWEEP_K2: ("q2d_weight_decay",), DAT_CNN_K2: ("q3_cnn",),
}
SELECTED = {
    "dat405_a7": ["q2c_curves", "q2d_weight_decay", "q3_cnn", "q4c_denoising"],
    "dlcourse_mlp": ["q2_accuracy", "q3_training"],
    "zhaw_cnn": ["q4_cnn2", "q5_faces"],
    "centralesupelec_lab7": ["q1_lenet", "q2_training"],
    "kit_blatt10": ["q3_enlarged", "q4_curves"],
}
# The questions with automatic points, per pack; the other packs' wild notebooks change
# nothing but the written answers, so every one of these is worth 0 there.
AUTOMATIC = {
    "dat405_a7": ["q2a_model", "q2c_curves", "q2d_weight_decay", "q3_cnn", "q4b_examples",
                  "q4c_denoising", "q4d_generate"],
    "dlcourse_mlp": ["q2_accuracy", "q3_training"],
    "zhaw_cnn": ["q4_cnn2", "q5_faces"],
    "centralesupelec_lab7": ["q1_lenet", "q2_training", "q3_confusion", "q4_kernels",
                             "q5_activations", "q6_dropout"],
    "kit_blatt10": ["q2_dense_formula", "q3_enlarged", "q4_curves"],
}


def dat_course_start(b: Book) -> Book:
    """The course starter's first cells, as students receive them."""
    return (b.md("Please see the associated document for questions. If you have problems "
                 "with Keras and Tensorflow on your local installation please make sure they "
                 "are updated.")
            .code(DAT_IMPORTS).code(DAT_DATA).md("**Preprocessing**").code(DAT_PRE))


def dat405() -> None:
    q = DAT_Q
    # 1: "### Question N" then "### a)" .. "### d)"
    b = dat_course_start(Book("### Question N headings, then ### a) ... ### d) under Q2 and Q4"))
    b.md("### Question 1").md(A["q1_preprocessing"], ("q1_preprocessing",))
    b.md("### Question 2").code(DAT_MODEL)
    b.md("### a)").md(A["q2a_model"], ("q2a_model",))
    b.md("### b)").md(A["q2b_loss"], ("q2b_loss",))
    b.md("### c)").code(DAT_CURVES)
    b.md("### d)").code(DAT_SWEEP).md(A["q2d_weight_decay"], ("q2d_weight_decay",))
    b.md("### Question 3").code(DAT_CNN).md(A["q3_cnn"], ("q3_cnn",))
    b.md("### Question 4) Auto-Encoder for denoising").code(DAT_AE)
    b.md("### a)").md(A["q4a_autoencoder"], ("q4a_autoencoder",))
    b.md("### b)").code(DAT_EXAMPLES).md(A["q4b_examples"], ("q4b_examples",))
    b.md("### c)").code(DAT_CURVE).md(A["q4c_denoising"], ("q4c_denoising",))
    b.md("### d)").code(DAT_GEN).md(A["q4d_generate"], ("q4d_generate",))
    b.write("dat405_a7", "question_headings_then_letters", q)

    # 2: "#### A)" reused under each question; answers before the code they discuss
    b = dat_course_start(Book("#### A)-D) reused under Q2 and Q4; answers written before "
                              "the code they discuss"))
    b.md("## Question 1").md(A["q1_preprocessing"], ("q1_preprocessing",))
    b.md("## Question 2")
    b.md("#### A)\n" + A["q2a_model"], ("q2a_model",)).code(DAT_MODEL)
    b.md("#### B)\n" + A["q2b_loss"], ("q2b_loss",))
    b.md("#### C)").code(DAT_CURVES)
    b.md("#### D)\n" + A["q2d_weight_decay"], ("q2d_weight_decay",)).code(DAT_SWEEP)
    b.md("## Question 3\n" + A["q3_cnn"], ("q3_cnn",)).code(DAT_CNN)
    b.md("## Question 4").code(DAT_AE)
    b.md("#### A)\n" + A["q4a_autoencoder"], ("q4a_autoencoder",))
    b.md("#### B)\n" + A["q4b_examples"], ("q4b_examples",)).code(DAT_EXAMPLES)
    b.md("#### C)\n" + A["q4c_denoising"], ("q4c_denoising",)).code(DAT_CURVE)
    b.md("#### D)\n" + A["q4d_generate"], ("q4d_generate",)).code(DAT_GEN)
    b.write("dat405_a7", "letters_reused_answers_before_code", q)

    # 3: "2a) <br/>" plain enumerators, question 4 not done
    b = dat_course_start(Book("plain enumerator lines such as 2a) <br/>; question 4 not done"))
    b.md("1) <br/>\n" + A["q1_preprocessing"], ("q1_preprocessing",)).code(DAT_MODEL)
    b.md("2a) <br/>\n" + A["q2a_model"], ("q2a_model",))
    b.md("2b) <br/>\n" + A["q2b_loss"], ("q2b_loss",))
    b.code(DAT_CURVES).code(DAT_SWEEP)
    b.md("2d) <br/>\n" + A["q2d_weight_decay"], ("q2d_weight_decay",))
    b.code(DAT_CNN).md("3) <br/>\n" + A["q3_cnn"], ("q3_cnn",))
    b.write("dat405_a7", "plain_enumerators_with_br_partial", q)

    # 4: 2023 numbering with ##### **Q2.1** then **Answer:**
    b = dat_course_start(Book("2023 numbering: ##### **Q1.1** ... **Q3.2**, each followed by "
                              "**Answer:**; no autoencoder part (notebook_week7)"))
    b.md("##### **Q1.1**").md("**Answer:** " + A["q1_preprocessing"], ("q1_preprocessing",))
    b.code(DAT_MODEL)
    b.md("##### **Q2.1**").md("**Answer:** " + A["q2a_model"], ("q2a_model",))
    b.md("##### **Q2.2**").md("**Answer:** " + A["q2b_loss"], ("q2b_loss",))
    b.md("##### **Q2.3**").code(DAT_CURVES)
    b.md("##### **Q2.4**").code(DAT_SWEEP)
    b.md("**Answer:** " + A["q2d_weight_decay"], ("q2d_weight_decay",))
    b.md("##### **Q3.1**").code(DAT_CNN)
    b.md("##### **Q3.2**").md("**Answer:** " + A["q3_cnn"], ("q3_cnn",))
    b.write("dat405_a7", "numbering_2023_bold_q_then_answer", q)

    # 5: bold inline labels, several answers in one cell
    b = dat_course_start(Book("bold inline labels **Q2 A)** with the answer on the same line, "
                              "several answers in one cell"))
    b.code(DAT_MODEL).code(DAT_CURVES).code(DAT_SWEEP).code(DAT_CNN).code(DAT_AE)
    b.md(f"**Q1)** {A['q1_preprocessing']}\n\n**Q2 A)** {A['q2a_model']}\n\n"
         f"**Q2 B)** {A['q2b_loss']}\n\n**Q2 D)** {A['q2d_weight_decay']}",
         ("q1_preprocessing", "q2a_model", "q2b_loss", "q2d_weight_decay"))
    b.md(f"**Q3)** {A['q3_cnn']}\n\n**Q4 A)** {A['q4a_autoencoder']}", ("q3_cnn", "q4a_autoencoder"))
    b.write("dat405_a7", "bold_inline_labels_in_one_cell", q)

    # 6: heading that names the wrong topic
    b = dat_course_start(Book("a copied heading names the wrong topic: 'Question 1) "
                              "Auto-Encoder' above the preprocessing answer"))
    b.md("## Question 1) Auto-Encoder for denoising\n\n" + A["q1_preprocessing"],
         ("q1_preprocessing",))
    b.code(DAT_MODEL).md("## Question 2A) Preprocessing\n\n" + A["q2a_model"], ("q2a_model",))
    b.md("## Question 2B)\n\n" + A["q2b_loss"], ("q2b_loss",))
    b.code(DAT_SWEEP).md("## Question 2D)\n\n" + A["q2d_weight_decay"], ("q2d_weight_decay",))
    b.write("dat405_a7", "heading_names_the_wrong_topic", q)

    # 7: answers inside the question-text cell
    b = dat_course_start(Book("the handout's question text copied into a cell, the answer "
                              "written in the same cell"))
    b.md("### Question 1\nExplain the data pre-processing highlighted in the notebook.\n\n"
         + A["q1_preprocessing"], ("q1_preprocessing",))
    b.code(DAT_MODEL)
    b.md("### Question 2A\nHow many layers does the network have? How many neurons does each "
         "layer have? What activation functions and why are these appropriate?\n\n"
         + A["q2a_model"], ("q2a_model",))
    b.md("### Question 2B\nWhat loss function is used to train the network? What is the "
         "functional form of the loss function, and why is it appropriate?\n\n"
         + A["q2b_loss"], ("q2b_loss",))
    b.md("### Question 2D\nHow close do you get to Hinton's result? If you do not get the "
         "same results, what factors may influence this?")
    b.code(DAT_SWEEP)
    b.write("dat405_a7", "answers_inside_question_text_cells", q)

    # 8: answers written only as code comments, a Markdown cell pointing at them
    b = dat_course_start(Book("answers for 2A and 2B only as comments in the code, a Markdown "
                              "cell pointing at them"))
    b.md("### Question 1\n" + A["q1_preprocessing"], ("q1_preprocessing",))
    b.md("### Question 2A and 2B\nSee the comments in the code cell below.")
    b.code("# 2A: the network has three Dense layers, two hidden ones with 64 relu units and\n"
           "# an output layer of 10 softmax units; that gives 55050 parameters in total\n"
           "# 2B: the loss is categorical cross entropy, minus the sum of y times log p,\n"
           "# which suits one-hot labels and a softmax output\n" + DAT_MODEL,
           ("q2a_model", "q2b_loss"))
    b.write("dat405_a7", "answers_as_code_comments", q)

    # 9: headings copied with a placeholder left under some of them
    b = dat_course_start(Book("answer headings copied for every question, '*text*' "
                              "placeholders left under 2B, 2D and 4C"))
    b.md("### Question 1\n" + A["q1_preprocessing"], ("q1_preprocessing",)).code(DAT_MODEL)
    b.md("### Question 2A\n" + A["q2a_model"], ("q2a_model",))
    b.md("### Question 2B\n*text*").placeholder("q2b_loss")
    b.code(DAT_SWEEP).md("### Question 2D\n*text*").placeholder("q2d_weight_decay")
    b.code(DAT_CNN).md("### Question 3\n" + A["q3_cnn"], ("q3_cnn",))
    b.code(DAT_AE).md("### Question 4A\n" + A["q4a_autoencoder"], ("q4a_autoencoder",))
    b.md("### Question 4C\n*text*").placeholder("q4c_denoising")
    b.write("dat405_a7", "placeholders_left_under_headings", q)

    # 10: the untouched course starter
    b = dat_course_start(Book("the course's starter as handed out, nothing added"))
    b.code(DAT_MODEL).md("### Question 4) Auto-Encoder for denoising").code(DAT_AE)
    b.code("plt.figure(figsize=(20, 4))\nfor i in range(10):\n    ax = plt.subplot(2, 10, i + 1)\n"
           "    plt.imshow(flattened_x_test_seasoneed[i].reshape(28, 28))\nplt.show()")
    b.write("dat405_a7", "untouched_course_starter", q)

    # 11: headings added with nothing under them
    b = dat_course_start(Book("question headings added for every question, nothing written "
                              "under any of them"))
    for head in ["Question 1", "Question 2A", "Question 2B", "Question 2D", "Question 3",
                 "Question 4A", "Question 4B", "Question 4C", "Question 4D"]:
        b.md(f"### {head}")
    b.code(DAT_MODEL)
    for qid in q:
        b.placeholder(qid)
    b.write("dat405_a7", "empty_headings_only", q)

    # 12: answers as plain prose after the code, no labels at all
    b = dat_course_start(Book("answers written as plain prose after the code they discuss, "
                              "no labels anywhere"))
    b.md(A["q1_preprocessing"], ("q1_preprocessing",), how="unlabelled").code(DAT_MODEL)
    b.md(A["q2a_model"], ("q2a_model",), how="unlabelled")
    b.md(A["q2b_loss"], ("q2b_loss",), how="unlabelled")
    b.code(DAT_CNN).md(A["q3_cnn"], ("q3_cnn",), how="unlabelled")
    b.write("dat405_a7", "unlabelled_prose_after_code", q)

    # 13: Swedish headings
    b = dat_course_start(Book("headings in Swedish: ### Uppgift 1, ### Fråga 2a, ..."))
    b.md("### Uppgift 1\n" + A["q1_preprocessing"], ("q1_preprocessing",)).code(DAT_MODEL)
    b.md("### Fråga 2a\n" + A["q2a_model"], ("q2a_model",))
    b.md("### Fråga 2b\n" + A["q2b_loss"], ("q2b_loss",))
    b.code(DAT_SWEEP).md("### Fråga 2d\n" + A["q2d_weight_decay"], ("q2d_weight_decay",))
    b.code(DAT_CNN).md("### Uppgift 3\n" + A["q3_cnn"], ("q3_cnn",))
    b.write("dat405_a7", "swedish_headings", q)

    # 14: numbered list of answers under one "Question 2" heading
    b = dat_course_start(Book("one '## Question 2' heading with the four answers as a "
                              "numbered list 1.-4."))
    b.md("## Question 1\n" + A["q1_preprocessing"], ("q1_preprocessing",)).code(DAT_MODEL)
    b.code(DAT_CURVES).code(DAT_SWEEP)
    b.md("## Question 2\n1. " + A["q2a_model"] + "\n2. " + A["q2b_loss"]
         + "\n3. The curves are above.\n4. " + A["q2d_weight_decay"],
         ("q2a_model", "q2b_loss", "q2d_weight_decay"))
    b.write("dat405_a7", "numbered_list_under_one_heading", q)

    # 15: a Colab notebook in Keras 2, its answers under ### Q2A-style headings
    b = Book("a Colab notebook: drive mounted, %tensorflow_version, a %%capture pip install, "
             "!nvidia-smi; Keras 2 spellings (legacy optimizers with lr=, AveragePooling2D() "
             "without pool_size, plot_model, keras.preprocessing.image); asserts on "
             "load_data's shapes; the course's full training lengths")
    b.md("Please see the associated document for questions. If you have problems with Keras "
         "and Tensorflow on your local installation please make sure they are updated.")
    for cell in DAT_COLAB:
        b.code(cell)
    b.code(DAT_IMPORTS_K2).code(DAT_DATA_K2).md("**Preprocessing**").code(DAT_PRE)
    b.md("### Q1\n" + A["q1_preprocessing"], ("q1_preprocessing",)).code(DAT_MODEL_K2)
    b.md("### Q2A\n" + A["q2a_model"], ("q2a_model",))
    b.md("### Q2B\n" + A["q2b_loss"], ("q2b_loss",))
    b.md("### Q2C").code(DAT_CURVES)
    b.md("### Q2D").code(DAT_SWEEP_K2).md(A["q2d_weight_decay"], ("q2d_weight_decay",))
    b.md("### Q3").code(DAT_CNN_K2).md(A["q3_cnn"], ("q3_cnn",))
    b.md("### Q4").code(DAT_AE).md("### Q4A\n" + A["q4a_autoencoder"], ("q4a_autoencoder",))
    b.md("### Q4B").code(DAT_EXAMPLES).md(A["q4b_examples"], ("q4b_examples",))
    b.md("### Q4C").code(DAT_CURVE).md(A["q4c_denoising"], ("q4c_denoising",))
    b.md("### Q4D").code(DAT_GEN).md(A["q4d_generate"], ("q4d_generate",))
    b.write("dat405_a7", "colab_keras2_spellings", q)


# ---------------------------------------------------------------- DL course (MLP)

DL_Q = ["a1_training_time", "a2_accuracy", "a3_confusion", "a4_overfitting"]
DA = {
    "a1_training_time": "I trained for 5 epochs with batch size 100, which took about 12 "
    "seconds on the Colab CPU.",
    "a2_accuracy": "The test accuracy is 94.9 % with hidden_size 16; with 256 and 128 hidden "
    "units and cross-entropy it goes up to 98.1 %.",
    "a3_confusion": "Most errors are 4 predicted as 9 and 3 predicted as 5; the diagonal is "
    "strong for 0 and 1.",
    "a4_overfitting": "Not really: training and validation loss go down together and the "
    "validation accuracy stays close to the training accuracy.",
}
DL_CODE = """import tensorflow as tf
import numpy as np
import matplotlib.pyplot as plt
from sklearn.metrics import confusion_matrix

(x_train, y_train), (x_test, y_test) = tf.keras.datasets.mnist.load_data()
x_train = x_train.reshape(-1, 784).astype('float32') / 255
x_test = x_test.reshape(-1, 784).astype('float32') / 255
y_train_oh = tf.keras.utils.to_categorical(y_train, 10)
y_test_oh = tf.keras.utils.to_categorical(y_test, 10)"""
DL_MODEL = """hidden_size = 16
num_epochs = 5
inputs = tf.keras.Input(shape=(784,))
x = tf.keras.layers.Dense(hidden_size)(inputs)
x = tf.keras.layers.ReLU()(x)
x = tf.keras.layers.Dense(10)(x)
outputs = tf.keras.layers.Softmax()(x)
model = tf.keras.Model(inputs, outputs)
model.compile(optimizer='adam', loss='mean_squared_error', metrics=['accuracy'])
history = model.fit(x_train, y_train_oh, epochs=num_epochs, batch_size=100,
                    validation_split=0.2)"""
DL_CONF = """pred = model.predict(x_test).argmax(axis=1)
cm = confusion_matrix(y_test, pred)
plt.imshow(cm); plt.colorbar(); plt.show()"""
DL_CURVES = """plt.plot(history.history['loss']); plt.plot(history.history['val_loss'])
plt.legend(['train', 'validation']); plt.show()"""


def dl_base(style: str) -> Book:
    return (Book(style).md("# MNIST MLP with Keras").code("!pip install tensorflow==2.17.1")
            .code(DL_CODE).code(DL_MODEL))


def dlcourse() -> None:
    q = DL_Q
    b = dl_base("bold 'Q1:' labels, answers after the code").code(DL_CONF).code(DL_CURVES)
    b.md("**Q1:** " + DA["a1_training_time"], ("a1_training_time",))
    b.md("**Q2:** " + DA["a2_accuracy"], ("a2_accuracy",))
    b.md("**Q3:** " + DA["a3_confusion"], ("a3_confusion",))
    b.md("**Q4:** " + DA["a4_overfitting"], ("a4_overfitting",))
    b.write("dlcourse_mlp", "bold_q_colon_labels", q)

    b = dl_base("the handout's '## 3 Questions to Answer' heading with a numbered list 1.-4.")
    b.code(DL_CONF).code(DL_CURVES)
    b.md("## 3 Questions to Answer\n\n1. " + DA["a1_training_time"] + "\n2. "
         + DA["a2_accuracy"] + "\n3. " + DA["a3_confusion"] + "\n4. " + DA["a4_overfitting"],
         tuple(q))
    b.write("dlcourse_mlp", "handout_section_numbered_list", q)

    b = dl_base("answers as plain Markdown after each piece of code, no labels")
    b.md(DA["a1_training_time"], ("a1_training_time",), how="unlabelled")
    b.md(DA["a2_accuracy"], ("a2_accuracy",), how="unlabelled").code(DL_CONF)
    b.md(DA["a3_confusion"], ("a3_confusion",), how="unlabelled").code(DL_CURVES)
    b.md(DA["a4_overfitting"], ("a4_overfitting",), how="unlabelled")
    b.write("dlcourse_mlp", "unlabelled_answers_after_code", q)

    b = dl_base("### Question N: with the question's words, then the answer; Q4 left empty")
    b.md("### Question 1: How long have you trained the network?\n" + DA["a1_training_time"],
         ("a1_training_time",))
    b.md("### Question 2: What accuracy do you obtain?\n" + DA["a2_accuracy"], ("a2_accuracy",))
    b.code(DL_CONF).md("### Question 3: confusion matrix\n" + DA["a3_confusion"],
                       ("a3_confusion",))
    b.code(DL_CURVES).md("### Question 4: overfitting?").placeholder("a4_overfitting")
    b.write("dlcourse_mlp", "question_headings_with_words", q)

    b = dl_base("the course notebook's own questions list kept, the answers numbered 1.-4. "
                "again in a new cell below it").code(DL_CONF).code(DL_CURVES)
    b.md("## 3 Questions to Answer\n\n1. How long have you trained the network?\n2. What "
         "accuracy do you obtain with this program?\n3. What do you see analyzing the confusion "
         "matrix?\n4. Do you think the program is overfitting by looking at the Loss/Accuracy "
         "plots?")
    b.md("1. " + DA["a1_training_time"] + "\n2. " + DA["a2_accuracy"] + "\n3. "
         + DA["a3_confusion"] + "\n4. " + DA["a4_overfitting"], tuple(q))
    b.write("dlcourse_mlp", "answers_numbered_again_below_the_questions", q)

    b = dl_base("the course notebook as handed out, nothing answered")
    b.write("dlcourse_mlp", "untouched_course_notebook", q)


# ---------------------------------------------------------------- ZHAW (CNN)

Z_Q = ["a1_parameters", "a2_overfitting", "a3_standardising", "a4_finetuning"]
ZA = {
    "a1_parameters": "Most parameters sit in dense_1: 784 inputs times 500 units plus 500 "
    "biases gives 392,500 of the 420,260.",
    "a2_overfitting": "The validation accuracy is about 97 %; the training accuracy is close "
    "to 100 %, so there is some overfitting, seen in the growing gap of the curves.",
    "a3_standardising": "Without standardising the validation accuracy drops to about 10 %: "
    "the raw pixel values up to 255 make the activations explode.",
    "a4_finetuning": "Yes, the VGG16 features were learnt on millions of images and transfer "
    "to faces; fine tuning retrains the last layers on our 8 people.",
}
Z_CODE = """import gzip, pickle
import numpy as np
import keras
from keras.models import Sequential
from keras.layers import Dense, Dropout, Activation, Flatten, Conv2D, MaxPooling2D
with gzip.open('mnist_4000.pkl.gz', 'rb') as f:
    (X, y) = pickle.load(f, encoding='latin1')
X = X.reshape(4000, 28, 28, 1)
X_train, Y_train = X[0:2400], y[0:2400]
X_val, Y_val = X[2400:3000], y[2400:3000]"""


Z_NOTEBOOKS = ["08_cnn1_mnist.ipynb", "08_cnn2_mnist_No_solution.ipynb",
               "12_8_faces_fine_tuning.ipynb"]
Z_BLOCK = """# my missing block: conv64 -> BN -> relu -> maxpool, as in the table
model.add(Convolution2D(64, kernel_size[0], kernel_size[1], init='he_normal',
                        border_mode='same'))
model.add(keras.layers.normalization.BatchNormalization())
model.add(Activation('relu'))
model.add(MaxPooling2D(pool_size=pool_size))
"""
Z_HEAD = """model.add(Dense(400, init='he_normal'))
model.add(BatchNormalization())
model.add(Activation('relu'))
model.add(Dropout(0.4))
model.add(Dense(8))
"""
# the block and the head earn their structure's points (the faces accuracy cannot be
# measured without the features); cnn2 is graded where it trains
FAIR[Z_BLOCK] = {"q4_cnn2": 4.0}
FAIR[Z_HEAD] = {"q5_faces": 2.0}
GRADED["nb_epoch=8"] = ("q4_cnn2",)


def _starter_cells(pack: str, file_name: str) -> list[dict]:
    """A course notebook's cells as the pack's starter has them (source as one string)."""
    path = HERE.parents[1] / "reference" / pack / "starter" / file_name
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [c | {"source": "".join(c["source"]) if isinstance(c["source"], list)
                 else c["source"]} for c in cells]


def zhaw() -> None:
    q = Z_Q
    b = Book("German answer headings #### Antwort 1 ...").code(Z_CODE)
    for n, qid in enumerate(q, 1):
        b.md(f"#### Antwort {n}\n{ZA[qid]}", (qid,)).code("model.summary()")
    b.write("zhaw_cnn", "antwort_headings", q)

    b = Book("bold **Answer A2:** labels; A1 and A4 not answered").code(Z_CODE)
    b.md("**Answer A2:** " + ZA["a2_overfitting"], ("a2_overfitting",))
    b.md("**Answer A3:** " + ZA["a3_standardising"], ("a3_standardising",))
    b.write("zhaw_cnn", "bold_answer_labels_partial", q)

    b = Book("the pack's A1 ... A4 headings, placeholders left under A3 and A4").code(Z_CODE)
    b.md("### A1\n" + ZA["a1_parameters"], ("a1_parameters",))
    b.md("### A2\n" + ZA["a2_overfitting"], ("a2_overfitting",))
    b.md("### A3\n*Your answer here.*").placeholder("a3_standardising")
    b.md("### A4\n*Your answer here.*").placeholder("a4_finetuning")
    b.write("zhaw_cnn", "pack_headings_placeholders_left", q)

    b = Book("unlabelled answers after the code cells").code(Z_CODE)
    b.code("model.summary()").md(ZA["a1_parameters"], ("a1_parameters",), how="unlabelled")
    b.code("history = model.fit(X_train, Y_train)").md(
        ZA["a2_overfitting"], ("a2_overfitting",), how="unlabelled")
    b.write("zhaw_cnn", "unlabelled_answers", q)

    # the course's three notebooks, as a Moodle download gives a student's folder: each
    # answer in the notebook it is about, in the student's own style
    parts = []
    for file_name in Z_NOTEBOOKS:
        part = Book("")
        for cell in _starter_cells("zhaw_cnn", file_name):
            source = cell["source"]
            if cell["cell_type"] == "markdown":
                part.md(source)
                continue
            source = source.replace("# here is your code coming:\n",
                                    "# here is your code coming:\n" + Z_BLOCK)
            source = source.replace("## Your code here\n", "## Your code here\n" + Z_HEAD)
            part.code(source)
            if file_name == Z_NOTEBOOKS[0] and source.strip() == "model.summary()":
                part.md("**A1:** " + ZA["a1_parameters"], ("a1_parameters",))
            if file_name == Z_NOTEBOOKS[0] and "history.history['loss']" in source:
                part.md("### A2\n" + ZA["a2_overfitting"], ("a2_overfitting",))
            if file_name == Z_NOTEBOOKS[2] and source.startswith("sum(pred"):
                part.md("**A4.** " + ZA["a4_finetuning"], ("a4_finetuning",))
        parts.append((file_name, part))
    write_parts("zhaw_cnn", "three_notebooks_moodle_folder",
                "the course's three notebooks in one student's folder: the block and the "
                "faces head added, answers in bold labels and headings where they belong, "
                "A3 left out", parts, q)


# ---------------------------------------------------------------- CentraleSupélec Lab 7

L_Q = ["a1_epochs", "a2_errors", "a3_activation", "a4_dropout"]
LA = {
    "a1_epochs": "About 8 epochs are enough: after that the validation loss stops decreasing.",
    "a2_errors": "The confusion matrix shows that 9 is often taken for 4 and 7 for 2; those "
    "classes have the highest errors.",
    "a3_activation": "We could use tanh or sigmoid; with ReLU training converged faster and "
    "reached a higher accuracy because its gradient does not vanish.",
    "a4_dropout": "Dropout 0.2 gave the best test accuracy; with 0.5 the training was slower "
    "and the accuracy a bit lower.",
}
L_CODE = """from keras.datasets import mnist
from keras.utils import to_categorical
(x_train, y_train), (x_test, y_test) = mnist.load_data()
x_train = x_train.reshape(-1, 28, 28, 1) / 255.0
y_train = to_categorical(y_train)"""


def lab7() -> None:
    q = L_Q
    b = Book("the handout's section numbers as headings: 2.4, 2.6.1, 2.6.2; the confusion "
             "matrix discussed under its own heading").code(L_CODE)
    b.md("## 2.4 Evaluate the training\n" + LA["a1_epochs"], ("a1_epochs",))
    b.md("## Confusion matrix\n" + LA["a2_errors"], ("a2_errors",), how="unlabelled")
    b.md("## 2.6.1 Activation Functions\n" + LA["a3_activation"], ("a3_activation",))
    b.md("## 2.6.2 Dropout layers\n" + LA["a4_dropout"], ("a4_dropout",))
    b.write("centralesupelec_lab7", "handout_section_numbers", q)

    b = Book("French: ### Question 1 : ... then 'Réponse :'").code(L_CODE)
    for n, qid in enumerate(q, 1):
        b.md(f"### Question {n} :").md(f"Réponse : {LA[qid]}", (qid,))
    b.write("centralesupelec_lab7", "french_question_headings", q)

    b = Book("bold **A3.** labels; A1 and A2 not answered").code(L_CODE)
    b.md("**A3.** " + LA["a3_activation"], ("a3_activation",))
    b.md("**A4.** " + LA["a4_dropout"], ("a4_dropout",))
    b.write("centralesupelec_lab7", "bold_a_labels_partial", q)

    b = Book("the lab's notebook untouched").code(L_CODE)
    b.write("centralesupelec_lab7", "untouched", q)


# ---------------------------------------------------------------- KIT Blatt 10

K_Q = ["a1_parameters", "a2_epochs", "a3_own_digits"]
KA = {
    "a1_parameters": "Conv2D(2, 2x2) has 2*4+2 = 10 parameters, the Dense(5) layer 5*338+5 = "
    "1695 and the output Dense(10) 60: 1765 in total. MaxPooling and Flatten have none.",
    "a2_epochs": "Watch the validation loss and stop when it rises (early stopping). Dropout "
    "is only active in training, so the training accuracy can be lower than validation.",
    "a3_own_digits": "Six of my eight digits were right; the 7 with a crossbar and a thin 1 "
    "were wrong because they look unlike MNIST's centred digits.",
}
K_CODE = """import numpy as np
from keras.models import Sequential
from keras.layers import Conv2D, MaxPooling2D, Flatten, Dense
def train():
    model = Sequential([Conv2D(2, (2, 2), input_shape=(28, 28, 1)), MaxPooling2D((2, 2)),
                        Flatten(), Dense(5, activation='relu'), Dense(10, activation='softmax')])
    model.compile(loss='categorical_crossentropy', optimizer='adam', metrics=['accuracy'])
    return model
example_model = train()"""


def kit() -> None:
    q = K_Q
    b = Book("German: ## Aufgabe 10.1 and ## Aufgabe 10.2, the epochs answer as bold "
             "**A2:**").code(K_CODE)
    b.md("## Aufgabe 10.1\n" + KA["a1_parameters"], ("a1_parameters",))
    b.code("example_model.summary()")
    b.md("## Epochen\n**A2:** " + KA["a2_epochs"], ("a2_epochs",))
    b.md("## Aufgabe 10.2\n" + KA["a3_own_digits"], ("a3_own_digits",))
    b.write("kit_blatt10", "aufgabe_headings", q)

    b = Book("Exercise 10.1 answers as code comments").code(K_CODE)
    b.md("## Exercise 10.1\nMy explanation is in the comments below.")
    b.code("# The example model: the convolution has 2 filters of 2x2 plus biases, that is\n"
           "# 10 parameters; the dense layer of 5 gets 338 inputs: 1695; the output 60.\n"
           "# Together 1765 trainable parameters, pooling and flatten have none.\n"
           "example_model.summary()", ("a1_parameters",))
    b.write("kit_blatt10", "exercise_answers_as_comments", q)

    b = Book("the pack's own ### A1 ... ### A3 headings, all answered").code(K_CODE)
    for qid, head in zip(q, ["A1", "A2", "A3"]):
        b.md(f"### {head}\n{KA[qid]}", (qid,))
    b.write("kit_blatt10", "pack_headings_all_answered", q)

    b = Book("the sheet's notebook untouched").code(K_CODE)
    b.write("kit_blatt10", "untouched", q)


if __name__ == "__main__":
    dat405()
    dlcourse()
    zhaw()
    lab7()
    kit()
    count = len(list(HERE.glob("*/*.truth.toml")))
    print(f"{count} notebooks and folders of notebooks in {HERE}")
