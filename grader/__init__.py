"""grader: grade Keras/TensorFlow notebook assignments and write feedback reports."""

__version__ = "0.1.0"
