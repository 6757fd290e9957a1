module github.com/originproof/originproof

go 1.26
