"""An independent solution of the continuous Bethel–Chromy problem in
crates/design/src/purposes.rs's test `the_continuous_optimum_matches_an_independent_solver`:
minimise sum c_h x_h subject to sum_h A_kh / x_h <= t_k, lo <= x <= hi, by scipy's SLSQP.
Run: python3 -m venv v && v/bin/pip install scipy && v/bin/python bethel.py"""
import numpy as np
from scipy.optimize import minimize

c = np.array([1.0, 2.0, 1.5])
A = np.array([[0.09, 0.04, 0.01], [0.0, 0.02, 0.06]])
t = np.array([0.001, 0.0015])
lo, hi = np.array([1.0, 1.0, 1.0]), np.array([500.0, 300.0, 200.0])
cons = [{"type": "ineq", "fun": (lambda x, k=k: t[k] - A[k] @ (1.0 / x)),
         "jac": (lambda x, k=k: A[k] / x**2)} for k in range(2)]
r = minimize(lambda x: c @ x, x0=hi * 0.5, jac=lambda x: c, bounds=list(zip(lo, hi)),
             constraints=cons, method="SLSQP", options={"ftol": 1e-15, "maxiter": 10000})
assert r.success, r
print(repr(list(r.x)), r.fun)
