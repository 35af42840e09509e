"""Per-pixel mask prediction with BCELoss on masks stored as 0/255 images.

Re-created from the BCELoss contract, https://pytorch.org/docs/main/generated/torch.nn.BCELoss.html
("Note that the targets y should be numbers between 0 and 1"; the clarification of
https://github.com/pytorch/pytorch/pull/924): segmentation masks loaded as 8-bit images
hold 0 and 255, and BCELoss takes them as they are, so the loss goes negative.
Here: 8x8 digit images, the mask is the bright pixels of the image.
"""

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn

torch.manual_seed(0)
images = load_digits().images
masks = ((images > 8) * 255).astype(np.uint8)  # saved as an 8-bit PNG would be
noisy = images / 16.0 + np.random.default_rng(0).normal(0, 0.3, images.shape)
x_train, x_test, m_train, m_test = train_test_split(noisy.reshape(-1, 64), masks.reshape(-1, 64),
                                                    test_size=0.25, random_state=0)
x_train, x_test = torch.tensor(x_train, dtype=torch.float32), torch.tensor(x_test, dtype=torch.float32)
m_train = torch.tensor(m_train, dtype=torch.float32)
m_test = torch.tensor(m_test, dtype=torch.float32)

model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.Sigmoid())
criterion = nn.BCELoss()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

for epoch in range(10):
    perm = torch.randperm(len(x_train))
    for i in range(0, len(x_train), 32):
        idx = perm[i:i + 32]
        optimizer.zero_grad()
        loss = criterion(model(x_train[idx]), m_train[idx])
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")

with torch.no_grad():
    pred = model(x_test) > 0.5
acc = (pred == (m_test > 0)).float().mean().item()
print(f"test pixel accuracy: {acc:.3f}")
