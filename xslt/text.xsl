<?xml version="1.0" encoding="UTF-8"?>
<!--
  Plain reading text of a TEI document (Unicode NFC).
  Blocks (paragraphs, heads, datelines, salutes, signatures, ...) each on their own
  lines with a blank line between; block quotations in quotation marks; notes as
  numbered endnotes ([1] in the text, a "Notes" list at the end).
  Params: choice (see common/text.xsl), width (wrap lines at this many characters; 0 = no wrapping).
-->
<xsl:stylesheet version="3.0"
  xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:xs="http://www.w3.org/2001/XMLSchema"
  xmlns:tei="http://www.tei-c.org/ns/1.0"
  xmlns:te="urn:tei-edition"
  exclude-result-prefixes="#all">

  <xsl:import href="common/functions.xsl"/>
  <xsl:import href="common/text.xsl"/>

  <xsl:output method="text" encoding="UTF-8"/>

  <xsl:param name="width" as="xs:string" select="'0'"/>
  <xsl:variable name="te:width" as="xs:integer" select="if ($width castable as xs:integer) then xs:integer($width) else 0"/>

  <xsl:template match="/">
    <xsl:variable name="texts" select="(tei:TEI | tei:teiCorpus//tei:TEI)/tei:text, *[not(self::tei:TEI or self::tei:teiCorpus)]"/>
    <xsl:variable name="blocks" as="xs:string*">
      <xsl:apply-templates select="$texts" mode="te:blocks"/>
    </xsl:variable>
    <xsl:variable name="notes" select="te:notes($texts)"/>
    <xsl:variable name="endnotes" as="xs:string*" select="
      if (empty($notes)) then () else ('Notes', for $n in $notes return '[' || te:note-number($n) || '] ' || te:note-text($n))"/>
    <xsl:variable name="all" select="for $b in ($blocks, $endnotes) return te:wrap($b)"/>
    <xsl:value-of select="normalize-unicode(string-join($all, '&#10;&#10;') || (if (exists($all)) then '&#10;' else ''), 'NFC')"/>
  </xsl:template>

  <!-- Greedy word wrap of one block at $te:width (words longer than the width stay whole). -->
  <xsl:function name="te:wrap" as="xs:string">
    <xsl:param name="block" as="xs:string"/>
    <xsl:choose>
      <xsl:when test="$te:width le 0 or string-length($block) le $te:width">
        <xsl:sequence select="$block"/>
      </xsl:when>
      <xsl:otherwise>
        <xsl:variable name="lines" as="xs:string*">
          <xsl:iterate select="tokenize($block, ' ')">
            <xsl:param name="line" as="xs:string" select="''"/>
            <xsl:on-completion>
              <xsl:sequence select="$line[. != '']"/>
            </xsl:on-completion>
            <xsl:choose>
              <xsl:when test="$line = ''">
                <xsl:next-iteration><xsl:with-param name="line" select="."/></xsl:next-iteration>
              </xsl:when>
              <xsl:when test="string-length($line) + 1 + string-length(.) le $te:width">
                <xsl:next-iteration><xsl:with-param name="line" select="$line || ' ' || ."/></xsl:next-iteration>
              </xsl:when>
              <xsl:otherwise>
                <xsl:sequence select="$line"/>
                <xsl:next-iteration><xsl:with-param name="line" select="string(.)"/></xsl:next-iteration>
              </xsl:otherwise>
            </xsl:choose>
          </xsl:iterate>
        </xsl:variable>
        <xsl:sequence select="string-join($lines, '&#10;')"/>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:function>

</xsl:stylesheet>
