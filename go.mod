module github.com/hookcast/hookcast

go 1.26
