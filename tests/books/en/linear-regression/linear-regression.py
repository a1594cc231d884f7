from d2l import torch as d2l
import math
import torch
import numpy as np
import time

n = 10000
a = d2l.ones(n)
b = d2l.ones(n)

c = d2l.zeros(n)
t = time.time()
for i in range(n):
    c[i] = a[i] + b[i]
f'{time.time() - t:.5f} sec'

t = time.time()
d = a + b
f'{time.time() - t:.5f} sec'

def normal(x, mu, sigma):
    p = 1 / math.sqrt(2 * math.pi * sigma**2)
    return p * np.exp(-0.5 * (x - mu)**2 / sigma**2)
