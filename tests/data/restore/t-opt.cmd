xl restore /root/t-opt.chk
