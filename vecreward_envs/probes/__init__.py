"""Small probe families for single claims of the seed papers (``vecreward reproduce``).

- ``confidence``: a question with a stated confidence in the answer (RLCR calibration, claim 5);
- ``easyhard``: a trivially satisfiable format objective beside a hard one (easy-reward dominance, claim 6).
"""
