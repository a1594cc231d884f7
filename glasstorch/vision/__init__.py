"""torchvision's data API on glasstorch: `datasets` (MNIST, FashionMNIST) and `transforms`.

Under `glasstorch run`, `import torchvision` resolves here.
"""

from . import datasets, transforms
