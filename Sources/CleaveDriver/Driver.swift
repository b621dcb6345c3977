import CleaveSema
