xl restore /root/t-foreign.chk
