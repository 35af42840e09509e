"""A small, healthy GAN on 2-D data: a generator and a discriminator, one Adam each.

The real points lie on a ring of radius 2; the generator maps 2-D noise onto it.
Each step trains the discriminator on real (label 1) and generated (label 0) points
with a loss of two terms, then the generator to make the discriminator say 1.

    python torch_gan.py [STEPS]
"""

import sys

import torch
from torch import nn

STEPS = int(sys.argv[1]) if len(sys.argv) > 1 else 300
BATCH = 64

torch.manual_seed(0)


def real_points(n: int) -> torch.Tensor:
    angle = torch.rand(n) * 2 * torch.pi
    ring = torch.stack([angle.cos(), angle.sin()], dim=1) * 2.0
    return ring + 0.05 * torch.randn(n, 2)


generator = nn.Sequential(
    nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 2)
)
discriminator = nn.Sequential(
    nn.Linear(2, 32), nn.LeakyReLU(0.2), nn.Linear(32, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1)
)
criterion = nn.BCEWithLogitsLoss()
opt_d = torch.optim.Adam(discriminator.parameters(), lr=1e-3, betas=(0.5, 0.999))
opt_g = torch.optim.Adam(generator.parameters(), lr=1e-3, betas=(0.5, 0.999))
ones, zeros = torch.ones(BATCH, 1), torch.zeros(BATCH, 1)

for step in range(STEPS):
    real = real_points(BATCH)
    fake = generator(torch.randn(BATCH, 2))

    opt_d.zero_grad()
    loss_d = criterion(discriminator(real), ones) + criterion(discriminator(fake.detach()), zeros)
    loss_d.backward()
    opt_d.step()

    opt_g.zero_grad()
    loss_g = criterion(discriminator(fake), ones)
    loss_g.backward()
    opt_g.step()

    if step % 100 == 0 or step == STEPS - 1:
        radius = generator(torch.randn(512, 2)).norm(dim=1)
        print(
            f"step {step}: loss_d {loss_d.item():.3f} loss_g {loss_g.item():.3f} "
            f"radius {radius.mean():.2f} +- {radius.std():.2f}"
        )
