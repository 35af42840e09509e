"""Seed 003: a Keras CNN whose accuracy flatlines after the first epoch.

Re-created from a question ("Neural Network flatlines after one epoch"): two
classes of RGB images, labels one-hot with `to_categorical`, a CNN of two
5x5 convolutions with max-pooling, `Flatten`, `Dense(2)`, plain `SGD()` and
`categorical_crossentropy`, trained one epoch per `fit` call with the images
reshuffled in between. No image files here: 287 of sklearn's bundled 8x8
digits (0s against 1s) are upscaled to 32x32 colour images with pixel values
0-255, the way images come out of a file. Nothing is added for nndoctor:
`nndoctor run examples/seeds/seed_003.py` diagnoses it as it is.
"""

import numpy as np
from keras.layers import Conv2D, Dense, Flatten, MaxPooling2D
from keras.models import Sequential
from keras.optimizers import SGD
from keras.utils import set_random_seed, to_categorical
from sklearn.datasets import load_digits
from sklearn.utils import shuffle

set_random_seed(0)
imageSize = 32
trainingEpochs = 6

# The photo folders: the first 287 pictures of the two categories.
digits = load_digits()
keep = np.flatnonzero(np.isin(digits.target, (0, 1)))[:287]
gray = np.kron(digits.images[keep], np.ones((4, 4))) * (255 / 16)
rng = np.random.default_rng(0)
trainingImages = np.clip(gray[..., None] * [1.0, 0.9, 0.8] + rng.uniform(0, 30, (*gray.shape, 3)),
                         0, 255).astype("float32")
trainingLabels = to_categorical(digits.target[keep], 2)

model = Sequential()
model.add(Conv2D(filters=32, kernel_size=[5, 5], strides=1, padding='same', activation='relu',
                 input_shape=(imageSize, imageSize, 3)))
model.add(MaxPooling2D())
model.add(Conv2D(filters=64, kernel_size=[5, 5], strides=1, padding='same', activation='relu'))
model.add(MaxPooling2D())
model.add(Flatten())
model.add(Dense(2))
sgd = SGD()  # Use stochastic gradient descent for now
model.compile(loss='categorical_crossentropy', optimizer=sgd, metrics=['accuracy'])

model.summary()

counter = 0
# Train one cycle at a time so we can shuffle data inbetween
for x in range(trainingEpochs):

    counter += 1
    print()  # New line
    print('Epoch ' + str(counter))

    trainingImages, trainingLabels = shuffle(trainingImages, trainingLabels, random_state=0)

    model.fit(x=trainingImages, y=trainingLabels, batch_size=32, epochs=1, verbose=2)
