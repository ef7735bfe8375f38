#   picture.zpl: a fleet that draws a picture. The demo's model and 50
#   agents, with an image target instead of the mixture: the letter S of
#   ../targets/s.pgm (dark = dense, resampled onto the 32 x 32 grid).
#   Every key not named here has its default (see demo.zpl).
#
#       swarmshape sim deploy/fleets/picture.zpl --out runs/picture
#       swarmshape plot runs/picture
#
#   tests/unit/test_image_target.c runs it and checks that the fitted
#   density of the final positions correlates with the picture.
fleet
    name = picture
    rounds = 300
    target
        image = ../targets/s.pgm
