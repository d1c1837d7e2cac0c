xl save -c idle1 nosuch/t.chk
