xl restore /root/t-short.chk
