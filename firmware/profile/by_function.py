"""Sums a pcprof.c histogram by function: by_function.py ELF PROFILE [N].

Prints the N (default 15) functions that executed the most instructions,
with their share of the total; symbols from arm-none-eabi-nm (demangled).
"""
import bisect
import subprocess
import sys
elf, prof = sys.argv[1], sys.argv[2]
syms=[]
for line in subprocess.run(['arm-none-eabi-nm','-C','-S','--defined-only',elf],capture_output=True,text=True).stdout.splitlines():
    p=line.split(None,3)
    if len(p)==4 and p[2] in 'tTwW':
        a=int(p[0],16)&~1; syms.append((a,a+int(p[1],16),p[3]))
syms.sort()
starts=[s[0] for s in syms]
tot={}
allc=0
for line in open(prof):
    pc,c=line.split(); pc=int(pc,16); c=int(c); allc+=c
    i=bisect.bisect_right(starts,pc)-1
    name='?'
    if i>=0 and syms[i][0]<=pc<syms[i][1]: name=syms[i][2]
    tot[name]=tot.get(name,0)+c
for n,c in sorted(tot.items(),key=lambda x:-x[1])[:int(sys.argv[3]) if len(sys.argv)>3 else 15]:
    print(f"{c:>12} {100*c/allc:5.1f}%  {n[:150]}")
print(f"{allc:>12} total")
