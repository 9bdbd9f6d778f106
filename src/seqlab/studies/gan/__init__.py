"""The MNIST GAN: the course template's fully connected generator and discriminator, trained
with the non-saturating loss through the one training loop, and scored with the MNIST study's
best classifier (seqlab.judging.classifier): Fréchet distance in its feature space, classifier Inception
score, class histogram, and latent interpolations read off by it. Stages: gan_train ->
gan_evaluate -> gan_figures.
"""
