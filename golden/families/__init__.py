# golden/families — one module per op family; each exposes cases(), a list of common.Case.
# What it is: the case lists NumPy computes. What it is not: the driver (golden/generate.py).
