<?xml version="1.0" encoding="UTF-8"?>
<!--
  What the reading text leaves out, in the plain text (modes te:blocks, te:inline) and in the
  HTML (mode te:html):
  - deletions (del): a subst shows its add only, so nothing is read twice;
  - forme work (fw): running heads, page numbers and catch words, which would double a word
    broken across a page;
  - the registers an edition keeps in <back> (listPerson, listPlace, listOrg, listBibl,
    listEvent, ...; nested lists go with them), and a division there holding only registers
    and headings: they feed the edition's registers, shown on pages of their own.
  Included (not imported) by common/text.xsl and by html.xsl: a rule in an imported module
  never beats a rule of the importing one, such as html.xsl's rule for any element.
  The rule has no priority attribute on purpose: so its alternatives are separate rules,
  each found by its element name (one rule with a priority and a union pattern is tried on
  every element: text.xsl was 5-15% slower with it).
-->
<xsl:stylesheet version="3.0"
  xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:xs="http://www.w3.org/2001/XMLSchema"
  xmlns:tei="http://www.tei-c.org/ns/1.0"
  xmlns:te="urn:tei-edition"
  exclude-result-prefixes="#all">

  <xsl:template match="tei:del | tei:fw | tei:back//tei:listPerson | tei:back//tei:listPlace | tei:back//tei:listOrg
      | tei:back//tei:listBibl | tei:back//tei:listEvent | tei:back//tei:listNym | tei:back//tei:listObject
      | tei:back//tei:listRelation | tei:back//tei:div[te:holds-only-registers(.)]"
    mode="te:blocks te:inline te:html"/>

  <!-- The lists an edition keeps its registers in. -->
  <xsl:variable name="te:register-lists" as="xs:string*" select="('listPerson', 'listPlace', 'listOrg', 'listBibl',
    'listEvent', 'listNym', 'listObject', 'listRelation')"/>

  <!-- Is this node left out of the reading text (by the rule above, or as part of the header,
       standOff, facsimile or sourceDoc, which no output renders)? -->
  <xsl:function name="te:left-out" as="xs:boolean">
    <xsl:param name="n" as="node()"/>
    <xsl:sequence select="exists($n/ancestor-or-self::*[self::tei:teiHeader or self::tei:standOff or self::tei:facsimile
      or self::tei:sourceDoc or self::tei:del or self::tei:fw])
      or (exists($n/ancestor::tei:back) and exists($n/ancestor-or-self::*[local-name() = $te:register-lists
          or self::tei:div[ancestor::tei:back][te:holds-only-registers(.)]][ancestor::tei:back]))"/>
  </xsl:function>

  <!-- A division that holds registers and nothing else but headings. -->
  <xsl:function name="te:holds-only-registers" as="xs:boolean">
    <xsl:param name="div" as="element()"/>
    <xsl:sequence select="exists($div/*[local-name() = $te:register-lists])
      and (every $c in $div/* satisfies ($c/self::tei:head or local-name($c) = $te:register-lists))
      and empty($div/text()[normalize-space()])"/>
  </xsl:function>

</xsl:stylesheet>
