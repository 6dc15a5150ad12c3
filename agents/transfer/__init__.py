"""``vecreward transfer``: the same schemes under the small policy and under an LM, rankings compared.

See docs/transfer.md.
"""
