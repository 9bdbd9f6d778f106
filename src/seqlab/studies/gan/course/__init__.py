"""The CS324 GAN as its template and the student's my_gan.py ran it (OctCarp/SUSTech_CS324-Deep-
Learning_2024s_Works Assignment3/Part_2/my_gan.py @430bb6e, the template; starga2er777/SUSTech_CS324
assignment3/Part 2/my_gan.py @0cd95b8 and test_gan.py @17d5fd1, the student's; ../shared/COURSES.md),
beside seqlab's own gan study.

What the course's code did, and this package reproduces:

- the template's networks (the gan study's widths: G 100 -> 128 -> 256 -> 512 -> 1024 -> 784, tanh;
  D 784 -> 512 -> 256 -> 1), D ending in a sigmoid read by ``nn.BCELoss``;
- Adam at 2e-4 with torch's default betas (0.9, 0.999) for both networks, batch 64, images scaled
  to [-1, 1], a fresh shuffle per epoch with the last short batch kept;
- per batch the generator first, then the discriminator on the same (detached) fakes the
  generator was scored on, its loss halved: (BCE(real, 1) + BCE(fake, 0)) / 2;
- 200 epochs of 60,000 images (187,600 batches), a 5 x 5 grid of the batch's fakes every 500;
- the interpolation of test_gan.py: two latent vectors, the first two draws after
  ``torch.manual_seed(1)``, seven evenly spaced points between them, the generator in eval mode.

update.py holds the update rule; steps.py the stages. Nothing here imports seqlab's own gan
steps, so its stages keep their deps.
"""
