package sample

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"sync"
)

// jpegOnce encodes the sample thumbnail once: a 160×90 frame of colour bars over
// a gradient, so a receiver that decodes or displays it sees a real picture.
var jpegOnce = sync.OnceValue(func() []byte {
	const w, h = 160, 90
	bars := []color.RGBA{
		{192, 192, 192, 255}, {192, 192, 0, 255}, {0, 192, 192, 255}, {0, 192, 0, 255},
		{192, 0, 192, 255}, {192, 0, 0, 255}, {0, 0, 192, 255},
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := bars[x*len(bars)/w]
			if y >= h*2/3 { // lower third: a grey ramp
				v := uint8(x * 255 / (w - 1))
				c = color.RGBA{v, v, v, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80}); err != nil {
		panic("sample: encode JPEG: " + err.Error()) // cannot happen writing to memory
	}
	return buf.Bytes()
})

// JPEG returns the sample thumbnail image, a fresh copy the caller may keep.
func JPEG() []byte { return bytes.Clone(jpegOnce()) }
