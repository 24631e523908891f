"""Peer models: published cold-start recommenders beside which the served model is measured.

Each has the cold-start surface of ``training.evaluation.protocol`` (``name``,
``fit(train)`` on training users only, ``predict(given_rows, given_ratings)``
-> (B, n_movies) float32) and ``predicts_ratings``: True when the output is in
stars (RMSE is meaningful), False for ranking scores. Every hyper-parameter is
chosen on validation users drawn from the training users (``coldstart.newcomers.validation_users``).
"""
