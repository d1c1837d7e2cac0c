xl migrate -s 'ssh -p 1' idle1 127.0.0.1
