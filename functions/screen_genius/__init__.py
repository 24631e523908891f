"""Code shared by the Cloud Function and the training pipeline.

Everything here runs in the function, so it depends on numpy and the standard
library only: no TensorFlow, torch or pandas.
"""
