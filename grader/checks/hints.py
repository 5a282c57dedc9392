"""One concrete next step per check, shown beside a failing check (a spec's ``hint`` wins).

A check whose message gives this step itself (``HINTS[name]``) says it once: the
report and ``grader check`` leave out a hint its message already contains.
"""

from __future__ import annotations

HINTS: dict[str, str] = {
    "accuracy_threshold": "Train longer or make the network bigger, then re-run the notebook "
                          "from the top and check the test accuracy it prints.",
    "answer_facts": "Say it in numbers: how many layers and neurons per layer, and the total "
                    "number of parameters (the model summary counts them).",
    "answer_present": "Write your answer in a Markdown cell under a heading that names the "
                      "question (`### Question 2A`, `### 2a)` or `**Q2.1**` all do), "
                      "replacing any placeholder text.",
    "apply_agrees": "Call your function on a few test images and compare with "
                    "`model.predict(...).argmax(axis=1)`: both must agree.",
    "confusion_matrix_present": "Compute the confusion matrix of the test set from "
                                "`model.predict` (e.g. `cm = confusion_matrix(y_test, y_pred)` "
                                "with scikit-learn, or `tf.math.confusion_matrix`) and keep it "
                                "in a variable or plot it.",
    "denoising_curves": "Train the autoencoder on noisy inputs against clean targets, then "
                        "classify its outputs at each noise level.",
    "errorbar_plot": "Plot the mean over replicates with `plt.errorbar(factors, means, "
                     "yerr=stds)` or `plt.fill_between` (a log-scaled x axis helps).",
    "figure_in_section": "Draw the figure in a code cell under the question's heading.",
    "function_values": "Run your function on the example inputs in the notebook and compare "
                       "with the values the handout gives.",
    "history_length": "Keep what `fit` returns (`history = model.fit(..., epochs=N, "
                      "validation_split=0.2)`) and train for the number of epochs asked.",
    "kernels_plotted": "Take `model.layers[0].get_weights()[0]` (shape height × width × "
                       "channels × filters) and show each filter with `plt.imshow`, one "
                       "subplot each; do the same for the second convolution.",
    "layer_counts": "Print `model.summary()` and compare the number of each kind of layer "
                    "with what the question asks.",
    "layer_structure": "Print `model.summary()` and compare each layer, in order, with the "
                       "expected structure.",
    "loss_used": "Compile with the loss the question names, e.g. "
                 "`loss='categorical_crossentropy'` for one-hot labels.",
    "overfitting_gap": "Compare training and validation curves; add Dropout or train fewer "
                       "epochs if validation falls behind.",
    "param_count": "Print `model.summary()`: the total parameter count must match; check "
                   "each layer's units and the input shape.",
    "plots_present": "Plot `history.history['loss']` and `history.history['val_loss']` (and "
                     "accuracy) with matplotlib, and give the figure a title.",
    "scaling_used": "Scale the training and test images the same way, as the assignment "
                    "asks (for pixels in [0, 1]: `x_train / 255.0`, `x_test / 255.0`).",
    "variants_trained": "Train one model per variant the question lists and keep each in its "
                        "own variable or in a list.",
    "weight_decay_sweep": "Loop over the L2 factors with `kernel_regularizer=l2(factor)` on the "
                          "hidden layers and train each setting several times.",
}
