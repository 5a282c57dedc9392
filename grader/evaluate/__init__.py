"""The grader's own measurements in clean workers: data, scoring, denoising, images."""
