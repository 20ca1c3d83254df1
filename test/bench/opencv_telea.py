"""Reference fills for `npm run bench fill`: OpenCV's cv2.inpaint(img, mask, 3, cv2.INPAINT_TELEA).

Run with Debian's interpreter and python3-opencv (`/usr/bin/python3`; `apt-get install python3-opencv`):

    /usr/bin/python3 test/bench/opencv_telea.py JOBS.json

JOBS.json is a list of {"image": PNG, "mask": PNG (white = hole), "out": PNG to write}. Each fill is timed
alone, after the PNGs are read and before the result is written; one warm-up fill runs first. Prints one JSON
object: {"opencv": version, "ms": [per job, in order]}. `--version` prints the cv2 version and exits.
"""
import json
import sys
import time

import cv2

RADIUS = 3


def main(argv):
    if argv[1:] == ['--version']:
        print(cv2.__version__)
        return
    with open(argv[1]) as handle:
        jobs = json.load(handle)
    timings = []
    for number, job in enumerate(jobs):
        image = cv2.imread(job['image'], cv2.IMREAD_COLOR)
        mask = cv2.imread(job['mask'], cv2.IMREAD_GRAYSCALE)
        if image is None or mask is None:
            raise SystemExit(f"could not read {job['image']} or {job['mask']}")
        mask = (mask > 127).astype('uint8') * 255
        if number == 0:
            cv2.inpaint(image, mask, RADIUS, cv2.INPAINT_TELEA)
        start = time.perf_counter()
        filled = cv2.inpaint(image, mask, RADIUS, cv2.INPAINT_TELEA)
        timings.append((time.perf_counter() - start) * 1000)
        cv2.imwrite(job['out'], filled)
    print(json.dumps({'opencv': cv2.__version__, 'ms': timings}))


if __name__ == '__main__':
    main(sys.argv)
