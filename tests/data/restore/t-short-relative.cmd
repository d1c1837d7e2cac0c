xl restore t-short.chk
