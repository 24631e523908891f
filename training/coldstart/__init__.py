"""The cold-start contract: what a simulated newcomer is, the k values, the folds, and how lists and stars are judged.

A ground-floor package. Models choose their hyper-parameters through it and
the evaluation measures them through it; it imports nothing from
``training.models`` or ``training.evaluation`` (only ``training.ingest.split``'s
hash and ``training.errors``).

- ``ratings``: ``CatalogRatings``, users' ratings of catalog movies as a per-user table.
- ``newcomers``: the k values, the eligibility rule, the one seeded newcomer
  draw (``draw``, ``split_users``, ``draw_all``), the training draw
  (``sample_given``) and validation users inside the training users.
- ``folds``: user-level K-fold cross-validation.
- ``sample``: the deterministic user sample used at scale.
- ``metrics``: rating metrics of held-back stars (RMSE, NDCG@10, recall@10).
- ``lists``: the top and bottom 10 and what they are judged on (recall, hate,
  hit rating, chart share, personalization, coverage).
"""
